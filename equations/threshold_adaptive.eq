# Adaptive threshold: theta jumps by theta_plus at every spike and decays with tau_theta (training phase).
# implements: Diehl & Cook (2015), homeostatic threshold (section 2.3); threshold v > v_threshold + theta - theta_offset as in their code.
# provides: theta
# requires: v
[model]
dtheta/dt = -theta / tau_theta : volt
[threshold]
v > v_threshold + theta - theta_offset
[reset]
theta += theta_plus
# The end of the rest in closed form (protocol.rest_shortcut).
[rest_shortcut]
theta = theta * exp(-skipped_rest / tau_theta)
