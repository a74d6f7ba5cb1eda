# Inhibitory delta synapse: a presynaptic spike subtracts w * v_per_weight from v, which is bounded below by v_floor.
# implements: lateral inhibition for the poster model (not specified there); the bound stops inhibition accumulating without a leak.
# provides: w
# requires: v_post
[model]
w : 1
[on_pre]
v_post = clip(v_post - w * v_per_weight, v_floor, inf * mV)
