"""Lesion finding: acne lesions, open wounds, crusts and cold sores on one face.

Two detectors share one *work image*, the face resampled so that forehead top to chin (landmarks
10 and 152) spans :data:`WORK_FACE_HEIGHT` pixels, cropped to the face oval grown by
:data:`SEARCH_MARGIN` of that height (expert marks sit on the jaw, temples and hairline too; the
six analysis regions hold only 47 % of them, the grown oval over 92 %, see ``docs/detectors.md``).

**Acne** (comedones, papules, pustules, nodules): candidates are local maxima of difference-of-
Gaussian responses of CIELAB a* (red) and -L* (dark); each candidate is described by
56 numbers (radial colour profile, asymmetry, texture, blob responses, position on the face)
and scored by a gradient-boosted tree ensemble trained on ACNE04 expert marks
(``models/lesions_acne.npz``, ``scripts/train_lesions.py``, ``models/LESIONS.md``). Survivors of
non-maximum suppression above the model's threshold are named by colour and size rules
(:func:`acne_kind`).

**Open wounds, crusts, cold sores**: no labelled photos exist, so these are rules on colour
differences from the person's own skin, sized in millimetres through the iris scale
(:func:`find_patches`). A raw red patch is an open wound, a yellow-brown or dark patch a crust; a
wound, crust or cluster of small spots on or beside the lip border is a cold sore.

All coordinates returned are pixels of the oriented photo.

One job a module (this package re-exports every name, so ``skintrack.core.lesions.X`` keeps working):

- :mod:`.finding` the finding type (:class:`Finding`) and the kinds;
- :mod:`.work` the work scale, resampling, CIELAB and the blob responses (:func:`prepare`);
- :mod:`.blobs` acne candidates (blob-response maxima) and non-maximum suppression;
- :mod:`.features` the 56 numbers describing a candidate;
- :mod:`.trees` the tree-model format and where model files are found (:func:`model_file`);
- :mod:`.shapes` connected components and their elongation;
- :mod:`.acne` the acne detector, its kind rules and a lesion's extent;
- :mod:`.patches` the open-wound, crust and cold-sore rules;
- :mod:`.find` everything together (:func:`find_lesions`).
"""

from __future__ import annotations

from skintrack.core.lesions.acne import (  # noqa: F401
    EXTENT_MAX_ELONGATION,
    EXTENT_MAX_RATIO,
    EXTENT_MAX_WINDOW,
    EXTENT_MIN_CONTRAST,
    EXTENT_MIN_WINDOW,
    EXTENT_SHARE,
    EXTENT_WINDOW,
    INFLAMED_DA,
    NODULE_MIN_MM,
    PUSTULE_HEAD_DL,
    AcneSpots,
    _extent_in,
    acne_detector,
    acne_kind,
    detect_acne,
    lesion_extent,
)
from skintrack.core.lesions.blobs import CANDIDATE_MIN_Z, DETECT_MIN_Z, NMS_RADIUS, candidates, nms  # noqa: F401
from skintrack.core.lesions.features import (  # noqa: F401
    FEATURE_NAMES,
    FEATURE_POINTS,
    FEATURE_VERSION,
    RINGS,
    _patch_gradient,
    _patch_weights,
    _patches,
    _position_features,
    candidate_features,
)
from skintrack.core.lesions.find import (  # noqa: F401
    _POOL,
    INNER_LIPS,
    LIP_INSIDE_MM,
    MERGE_SHARE,
    NEAR_REGION_MM,
    AcneLesion,
    _region_of,
    find_lesions,
    merge_detections,
)
from skintrack.core.lesions.finding import ACNE_KINDS, KINDS, PATCH_KINDS, Finding, finding_id  # noqa: F401
from skintrack.core.lesions.patches import (  # noqa: F401
    CLUSTER_MIN_SPOTS,
    CLUSTER_MM,
    COLD_SORE_DA,
    CRUST_DARK_CHROMA,
    CRUST_DARK_DL,
    CRUST_DB,
    CRUST_DL,
    EDGE_GROW_SHARE,
    EDGE_MAX_GROWTH,
    EDGE_MAX_SHARE,
    EDGE_RING_MM,
    EYE_MARGIN_MM,
    FEATURE_MARGIN_MM,
    LIP_BORDER_MM,
    LIP_ZONE_MM,
    PATCH_MAX_ELONGATION,
    PATCH_MIN_MM,
    PUSTULE_HEAD_DL_PATCH,
    PUSTULE_MAX_MM,
    REFERENCE_MAX_DA,
    REFERENCE_MAX_DIFF,
    REFERENCE_MM,
    SPOT_MIN_SHARE,
    VESICLE_DL,
    WOUND_DA,
    WOUND_DL,
    Patch,
    _feature_mask,
    _find_patches,
    _half,
    _local_reference,
    _merge_patches,
    _sharp_edged,
    _spot_clusters,
    find_patches,
    patches_in,
)
from skintrack.core.lesions.shapes import _components, _elongation  # noqa: F401
from skintrack.core.lesions.trees import MODEL_DIR, MODEL_NAME, TreeModel, load_model, model_file  # noqa: F401
from skintrack.core.lesions.work import (  # noqa: F401
    DEFAULT_FACE_HEIGHT_MM,
    DOG_RATIO,
    DOG_SIGMAS,
    PATCH_RADIUS,
    SEARCH_MARGIN,
    WORK_FACE_HEIGHT,
    LesionWork,
    _dog_stack,
    _halve,
    _resample,
    face_height_px,
    prepare,
    with_responses,
)
