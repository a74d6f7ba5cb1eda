# Non-leaky integrate-and-fire membrane: v changes only through synaptic jumps and the reset.
# implements: Capozzi et al. poster, dv/dt = sum_i sum_s w_i delta(t - s); spike when v >= v_thr + Theta, then v -> v_res.
# provides: v
# requires:
# Without a leak, v never relaxes on its own, so it is set back to v_reset at the start of every
# presentation slot (reference notes, section 10).
[model]
v : volt
[reset]
v = v_reset
[slot_start]
v = v_reset
