# BindsNET leaky integrate-and-fire membrane with current-based delta input: v relaxes to v_rest; arriving spikes add to v unless the neuron is refractory.
# implements: BindsNET DiehlAndCookNodes and LIFNodes, one step (diehl-cook-reference.md 4.2; capozzi-study-as-run.md 3): v <- v_rest + (v - v_rest) exp(-dt/tau); v += input unless refractory; spike if v >= threshold; then v <- v_reset and refractory for refractory_period.
# provides: v, last_reset_time, receives_input
# requires:
# The synapses (bindsnet_transmit.eq) add w * v_per_weight * receives_input_post to v. A
# neuron reset at step s receives no input in steps s+1 ... s + refractory_period/dt (BindsNET:
# the refractory counter is set to refractory_period at the spike and input is added only
# while it is <= 0 before the step's decrement); it keeps decaying meanwhile. Refractoriness
# does not block the threshold test itself, as in BindsNET: after the reset, v is below
# threshold and receives nothing, so it cannot cross anyway.
# BindsNET resets the network state before every sample (v to rest, refractory counters to 0,
# spikes to 0): [slot_start] does the first two, and receives_input is 0 in the first step of
# every slot, so spikes of the previous slot's last step (still in flight) are dropped.
# steps_per_slot is a protocol constant of every group's namespace.
# `exact` integration gives the exponential decay of BindsNET exactly.
[model]
dv/dt = (v_rest - v) / tau_membrane : volt
last_reset_time : second
receives_input = int(timestep(t - last_reset_time, dt) > timestep(refractory_period, dt)) * int(timestep(t, dt) % steps_per_slot > 0) : 1 (constant over dt)
[reset]
v = v_reset
last_reset_time = t
[slot_start]
v = v_rest
last_reset_time = t - 1000 * tau_membrane
