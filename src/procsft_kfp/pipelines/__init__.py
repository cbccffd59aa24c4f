"""The study as a Kubeflow pipeline: built from a config (`study`), compiled (`compile`), run on
this machine (`local`) or submitted to a cluster (`submit`)."""
