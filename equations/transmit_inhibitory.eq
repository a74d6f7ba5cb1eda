# Inhibitory synaptic transmission: a presynaptic spike increments the postsynaptic inhibitory conductance by w.
# implements: Diehl & Cook (2015), eq. 2 for the inhibitory conductance.
# provides: w
# requires: g_inh_post
[model]
w : 1
[on_pre]
g_inh_post += w
