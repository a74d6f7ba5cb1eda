# Excitatory delta synapse: a presynaptic spike adds w * v_per_weight to the postsynaptic membrane potential.
# implements: Capozzi et al. poster, each input spike adds its weight to v.
# provides: w
# requires: v_post
[model]
w : 1
[on_pre]
v_post += w * v_per_weight
