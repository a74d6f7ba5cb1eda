"""The study's and Diehl & Cook's reference numbers, quoted next to a run's results."""

__all__ = ["DATASET_TITLES", "DIEHL_COOK_ACCURACY", "DIEHL_COOK_REFERENCE", "STUDY_ACCURACY"]

#: Test accuracies reported by the study (Capozzi et al.), as fractions, by dataset name.
STUDY_ACCURACY = {"mnist": 0.72, "fashion_mnist": 0.46, "cifar10": 0.09}

#: Diehl & Cook (2015), MNIST: (excitatory neurons, training passes over 60,000 images,
#: test accuracy), from the project's diehl-cook-reference.md section 6.
DIEHL_COOK_ACCURACY = ((100, 1, 0.829), (400, 3, 0.870))

#: Where the Diehl & Cook figures are quoted from (named in ``table1.md``): the project's
#: reference notes, by a name relative to the project's shared folder, never an absolute
#: path of the machine that wrote the analysis.
DIEHL_COOK_REFERENCE = "shared/reference/diehl-cook-reference.md"

#: Display name of every dataset of :data:`STUDY_ACCURACY`.
DATASET_TITLES = {"mnist": "MNIST", "fashion_mnist": "Fashion-MNIST", "cifar10": "CIFAR-10"}
