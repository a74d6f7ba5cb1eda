# Power-law weight-dependent STDP with a target trace: dw = eta (x_pre - x_target)(w_max - w)^mu at each postsynaptic spike.
# implements: Diehl & Cook (2015) eq. 3 (the rule the paper presents first), as described in Capozzi et al.; x_pre += 1 per presynaptic spike, exponential decay.
# provides: input_trace_pre
# requires: w
# The additive presynaptic trace lives on the presynaptic neuron: this is exact because the
# variants that use this rule have no input delays. w is clipped to [0, w_max], which also keeps
# (w_max - w)^mu real.
[on_post]
w = clip(w + eta * (input_trace_pre - x_target) * (w_max - w) ** mu, 0, w_max)
[pre.model]
dinput_trace/dt = -input_trace / tau_pre : 1
[pre.reset]
input_trace += 1
[pre.slot_start]
input_trace = 0
