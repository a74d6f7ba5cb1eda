# Nearest-spike minimal triplet STDP (Pfister & Gerstner 2006) with traces set to 1 at each spike, as used by Diehl & Cook's code.
# implements: Diehl & Cook (2015) code: pre spike w -= nu_pre*post1; post spike w += nu_post*pre*post2 (post2 before its update); w clipped to [0, w_max].
# provides: t_last_arrival, post_trace_1_post, post_trace_2_post
# requires: w
# The presynaptic trace is kept per synapse, so that it follows each synapse's own delay:
# a trace set to 1 at the last arrival equals exp(-(t - t_last_arrival)/tau_pre). The two
# postsynaptic traces live on the postsynaptic neuron (no delay on that side); on_post runs
# before the neuron's reset, so it reads post_trace_2 from before the spike. At each slot
# start the arrival time is set 1000 tau_pre in the past (trace exactly 0): a synapse with
# no arrival yet must not read the slot start as an arrival. After the 150 ms rest a real
# trace is below exp(-7.5) = 6e-4, so this changes nothing else.
[model]
t_last_arrival : second
[slot_start]
t_last_arrival = t - 1000 * tau_pre
[on_pre]
w = clip(w - nu_pre * post_trace_1_post, 0, w_max)
t_last_arrival = t
[on_post]
w = clip(w + nu_post * exp(-(t - t_last_arrival) / tau_pre) * post_trace_2_post, 0, w_max)
[post.model]
dpost_trace_1/dt = -post_trace_1 / tau_post_1 : 1
dpost_trace_2/dt = -post_trace_2 / tau_post_2 : 1
[post.reset]
post_trace_1 = 1
post_trace_2 = 1
# The end of the rest in closed form (protocol.rest_shortcut); the presynaptic trace needs
# none (t_last_arrival is reset at every slot start).
[post.rest_shortcut]
post_trace_1 = post_trace_1 * exp(-skipped_rest / tau_post_1)
post_trace_2 = post_trace_2 * exp(-skipped_rest / tau_post_2)
