# BindsNET PostPre STDP with traces set to 1 at a spike: a presynaptic spike subtracts nu_pre * x_post, a postsynaptic spike adds nu_post * x_pre; w clipped to [0, w_max].
# implements: bindsnet.learning.PostPre with traces_additive=False (diehl-cook-reference.md 4.3; capozzi-study-as-run.md 3): each step w -= nu_pre s_pre x_post, w += nu_post x_pre s_post, clamp [0, 1]; x decays by exp(-dt/tau_trace) per step and is set to 1 at a spike.
# provides: stdp_pre_spike_time_pre, stdp_post_spike_time_post
# requires: w
# For pathways with delay_steps = 1: the updates of step n run in step n + 1, when the spikes
# of step n arrive, with the traces of step n, exp(-(t - dt - t_last)/tau_trace), where t_last
# is the neuron's last spike time; a trace set to 1 and multiplied by exp(-dt/tau_trace) each
# step is exactly that. The traces are those after step n's spikes, as in BindsNET, where the
# rule runs after every layer has spiked. At each slot start the last spike times move 1000
# tau_trace into the past (traces exactly 0: BindsNET resets them before every sample), so
# the updates of a slot's last step, which would run in the next slot's first step, are
# dropped (1 step in 250; BindsNET applies them before its reset).
# Deviation: BindsNET clamps once after both updates of a step; here each update clips. The
# two differ only when a synapse has a pre and a post spike in the same step and w < nu_pre
# (at most nu_pre = 1e-4).
# List this component before the transmission, so that a spike transmits the weight after
# its own depression (BindsNET: the next step's input uses the updated weights). The
# potentiation of step n comes after the transmission of step n + 1, which is blocked then:
# it only changes weights onto a neuron that spiked in step n, which is refractory in n + 1.
[on_pre]
w = clip(w - nu_pre * exp(-(t - dt - stdp_post_spike_time_post) / tau_trace), 0, w_max)
[on_post]
w = clip(w + nu_post * exp(-(t - dt - stdp_pre_spike_time_pre) / tau_trace), 0, w_max)
[pre.model]
stdp_pre_spike_time : second
[pre.reset]
stdp_pre_spike_time = t
[pre.slot_start]
stdp_pre_spike_time = t - 1000 * tau_trace
[post.model]
stdp_post_spike_time : second
[post.reset]
stdp_post_spike_time = t
[post.slot_start]
stdp_post_spike_time = t - 1000 * tau_trace
