# Excitatory synaptic transmission: a presynaptic spike increments the postsynaptic excitatory conductance by w.
# implements: Diehl & Cook (2015), eq. 2 (conductance jump w at each presynaptic spike).
# provides: w
# requires: g_exc_post
[model]
w : 1
[on_pre]
g_exc_post += w
