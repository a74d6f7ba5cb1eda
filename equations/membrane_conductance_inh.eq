# Inhibitory membrane: conductance-based leaky integrate-and-fire neuron, clamped at v_reset while refractory.
# implements: Diehl & Cook (2015), eq. 1 and 2 for the inhibitory population (Brian 1 clamps v for a scalar reset).
# provides: v, g_exc, g_inh
# requires:
[model]
dv/dt = ((v_rest - v) + g_exc * (E_exc - v) + g_inh * (E_inh - v)) / tau_membrane : volt (unless refractory)
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
