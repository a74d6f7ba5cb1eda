# Nearest-spike pair STDP with traces set to 1 at each spike: Diehl & Cook's rule without the slow postsynaptic trace factor.
# implements: Diehl & Cook (2015) code with the triplet factor post2 replaced by 1: pre spike w -= nu_pre*post1; post spike w += nu_post*pre; w clipped to [0, w_max].
# provides: t_last_arrival, post_trace_1_post
# requires: w
# Every postsynaptic spike potentiates, the first of a burst too. With the triplet rule
# (stdp_triplet_minimal.eq) a neuron that fires isolated spikes, one per presentation,
# never potentiates: post_trace_2 has decayed to 0 before its spike. The presynaptic trace
# is kept per synapse through the last arrival time, as in stdp_triplet_minimal.eq (same
# slot-start reset, same reason).
[model]
t_last_arrival : second
[slot_start]
t_last_arrival = t - 1000 * tau_pre
[on_pre]
w = clip(w - nu_pre * post_trace_1_post, 0, w_max)
t_last_arrival = t
[on_post]
w = clip(w + nu_post * exp(-(t - t_last_arrival) / tau_pre), 0, w_max)
[post.model]
dpost_trace_1/dt = -post_trace_1 / tau_post_1 : 1
[post.reset]
post_trace_1 = 1
[post.rest_shortcut]
post_trace_1 = post_trace_1 * exp(-skipped_rest / tau_post_1)
