"""coordspec's executable specifications, and the one list of its protocols.

To add a protocol, write its spec module (exporting `SPEC`), its variants module
(exporting `VARIANTS`), its implementation's adapter (exporting `ADAPTER`) and its
tests, then add one line below (the README's "Adding a protocol" has the recipe).
"""

from spec.registry import Registration

#: The protocols, in the order `coordspec check` checks them.
PROTOCOLS: tuple[Registration, ...] = (
    Registration("spec.pbft", variants="spec.variants.pbft", impl="impl.refinement.pbft"),
    Registration(
        "spec.weighted", variants="spec.variants.weighted", impl="impl.refinement.weighted"
    ),
    Registration(
        "spec.iterative", variants="spec.variants.iterative", impl="impl.refinement.iterative"
    ),
)
