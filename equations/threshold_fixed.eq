# Fixed spiking threshold.
# implements: Diehl & Cook (2015), threshold of the inhibitory neurons.
# provides:
# requires: v
[threshold]
v > v_threshold
