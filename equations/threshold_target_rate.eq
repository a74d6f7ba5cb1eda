# Target-rate adaptive threshold: theta jumps by theta_plus at every spike and falls at the constant rate theta_plus * target_rate, so it holds while the neuron fires at target_rate, rises while it fires faster and falls while it fires slower (training phase).
# implements: target-rate homeostasis of Diehl & Cook's adaptive threshold (issue #11, part 3): theta(t) = theta(0) + theta_plus * (n_spikes(t) - target_rate * t); a neuron that stops winning loses threshold until it fires again. No lower bound: Brian2's linear integrators cannot integrate a clipped rate, and a neuron far below its target fires until its theta is back.
# provides: theta
# requires: v
[model]
dtheta/dt = -theta_plus * target_rate : volt
[threshold]
v > v_threshold + theta - theta_offset
[reset]
theta += theta_plus
# The end of the rest in closed form (protocol.rest_shortcut).
[rest_shortcut]
theta = theta - theta_plus * target_rate * skipped_rest
