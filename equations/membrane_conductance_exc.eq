# Excitatory membrane: conductance-based leaky integrate-and-fire neuron with excitatory and inhibitory conductances.
# implements: Diehl & Cook (2015), membrane equation (eq. 1) and conductance decay (eq. 2), as in their Brian 1 code.
# provides: v, g_exc, g_inh
# requires:
# Refractoriness (5 ms) only blocks spikes; v keeps integrating, as in the original Brian 1 code
# (a string reset there builds no clamp). Hence no "(unless refractory)" flag.
[model]
dv/dt = ((v_rest - v) + g_exc * (E_exc - v) + g_inh * (E_inh - v)) / tau_membrane : volt
dg_exc/dt = -g_exc / tau_g_exc : 1
dg_inh/dt = -g_inh / tau_g_inh : 1
[reset]
v = v_reset
# The end of the rest in closed form (protocol.rest_shortcut): with no input the
# conductances only decay, and once they are ~0 v relaxes to v_rest with tau_membrane.
[rest_shortcut]
v = v_rest + (v - v_rest) * exp(-skipped_rest / tau_membrane)
g_exc = g_exc * exp(-skipped_rest / tau_g_exc)
g_inh = g_inh * exp(-skipped_rest / tau_g_inh)
