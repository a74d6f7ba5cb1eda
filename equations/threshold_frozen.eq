# Frozen adaptive threshold: theta is a constant per-neuron value loaded from training (labelling and test phases).
# implements: Diehl & Cook (2015), test mode of the adaptive threshold (theta fixed).
# provides: theta
# requires: v
[model]
theta : volt (constant)
[threshold]
v > v_threshold + theta - theta_offset
