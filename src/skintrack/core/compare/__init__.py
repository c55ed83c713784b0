"""Redness change between a baseline photo and a later photo of the same face.

How a comparison is made (details and measurements in ``docs/colour.md``):

1. **Same person?** The later face is checked against the baseline by its fine skin texture after
   alignment (the median, over small tiles, of the best normalised correlation of band-passed
   lightness), or by its mesh shape (3-D Procrustes distance of the 468 landmarks) when there is
   no texture to compare. A different face is refused: no region is measured.
2. **Alignment.** The later photo is warped onto the baseline's work grid triangle by triangle of
   the face mesh (:mod:`skintrack.core.warp`), so the two photos are compared skin point by skin
   point on the pixels usable in both.
3. **Normalisation.** Light differs between photos. With a colour chart in both photos the photos
   were corrected to true colour before analysis (``chart``). Without one, skin the person did not
   treat is the reference (``untreated_regions``): a per-channel gain in linear light with a shared
   left-right / up-down shading slope is fitted on the untreated regions and applied to the whole
   later face. Its uncertainty is measured by leaving each reference region out in turn. With
   neither, the colours are compared as photographed (``none``) and the uncertainty is large.
4. **Per region:** the central (interquartile) mean of CIELAB a* and of the erythema index over
   the skin usable in both photos, their change, an uncertainty band, and whether the change is
   real (larger than both :data:`REAL_CHANGE_A_STAR` and the band), graded none / mild /
   moderate / marked.

The modules, one job each: :mod:`.results` (the records and the grading rules),
:mod:`.same_person`, :mod:`.light` (the normalisation), :mod:`.measure` (:func:`compare_analyses`),
:mod:`.maps` (the change map) and :mod:`.sentences` (what a person reads about a comparison).
The names below are the package's interface.
"""

from skintrack.core.compare.light import (
    LIGHT_MAX_SAMPLES,
    LIGHT_MIN_SPREAD,
    LIGHT_OUTLIER_LOG,
    LIGHT_TILE,
    NONE_UNCERTAINTY,
    UNTREATED_MIN_UNCERTAINTY,
)
from skintrack.core.compare.maps import delta_map_figure, render_delta_map
from skintrack.core.compare.measure import (
    MIN_REGION_SAMPLES,
    NEAREST,
    REGION_REPEAT_UNCERTAINTY,
    compare_analyses,
)
from skintrack.core.compare.results import (
    GRADE_MARKED_A_STAR,
    GRADE_MODERATE_A_STAR,
    GRADES,
    METHODS,
    REAL_CHANGE_A_STAR,
    SCHEMA,
    CompareError,
    Comparison,
    Identity,
    Normalisation,
    RegionChange,
    grade_for,
    is_real_change,
)
from skintrack.core.compare.same_person import (
    SAME_PERSON_MAX_SHAPE,
    SAME_PERSON_MIN_TEXTURE,
    TEXTURE_SEARCH,
    TEXTURE_SIGMAS,
    TEXTURE_TILE,
    check_identity,
    shape_distance,
    texture_match,
)

__all__ = [
    "GRADES",
    "GRADE_MARKED_A_STAR",
    "GRADE_MODERATE_A_STAR",
    "LIGHT_MAX_SAMPLES",
    "LIGHT_MIN_SPREAD",
    "LIGHT_OUTLIER_LOG",
    "LIGHT_TILE",
    "METHODS",
    "MIN_REGION_SAMPLES",
    "NEAREST",
    "NONE_UNCERTAINTY",
    "REAL_CHANGE_A_STAR",
    "REGION_REPEAT_UNCERTAINTY",
    "SAME_PERSON_MAX_SHAPE",
    "SAME_PERSON_MIN_TEXTURE",
    "SCHEMA",
    "TEXTURE_SEARCH",
    "TEXTURE_SIGMAS",
    "TEXTURE_TILE",
    "UNTREATED_MIN_UNCERTAINTY",
    "CompareError",
    "Comparison",
    "Identity",
    "Normalisation",
    "RegionChange",
    "check_identity",
    "compare_analyses",
    "delta_map_figure",
    "grade_for",
    "is_real_change",
    "render_delta_map",
    "shape_distance",
    "texture_match",
]
