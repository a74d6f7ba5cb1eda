# Current-based delta synapse (BindsNET Connection): an arriving spike adds w * v_per_weight to the target's v unless the target is refractory; w is signed.
# implements: BindsNET DiehlAndCook2015 connections, input = sum_i w_ij s_i of the previous step added to v (diehl-cook-reference.md 4.2; capozzi-study-as-run.md 3).
# provides: w
# requires: v_post, receives_input_post
# BindsNET weights are in mV, so v_per_weight = 1 mV. Used with delay_steps = 1 in the
# pathway's connectivity: a spike of step n moves v in step n + 1, after the decay and before
# the threshold test, as in BindsNET (builder, _schedule_pathway).
[model]
w : 1
[on_pre]
v_post += w * v_per_weight * receives_input_post
