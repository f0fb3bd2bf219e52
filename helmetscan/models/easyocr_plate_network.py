"""Our plate reader in the form EasyOCR loads a custom recognition network in (``easyocr.Reader(...,
recog_network=NAME, user_network_directory=DIR)``: ``DIR/NAME.py`` defines ``Model(num_class, **network_params)``,
``DIR/NAME.yaml`` its settings, ``model_storage_directory/NAME.pth`` its weights; EasyOCR 1.7 ``recognition.
get_recognizer``). Written by :func:`helmetscan.modelling.plate_easyocr.export`; used to compare EasyOCR's runtime
with ours on the same network (issue 8 suggests it, so that EasyOCR stays the runtime the design card names)."""

from __future__ import annotations

import torch
from torch import nn

#: The network's input (height, width): the whole crop squeezed to it, as ``plate_recognizer.to_model_input`` does.
INPUT_SIZE = (64, 256)


class Model(nn.Module):
    """Our CRNN (``plate_train.build_ctc_model`` with ``rows``) behind EasyOCR's recogniser interface.

    EasyOCR hands ``forward`` a batch of grey crops resized to the yaml's ``imgH`` with their aspect kept and scaled to
    -1..1 ((N, 1, imgH, W) float); this maps them back to 0..1, squeezes them to :data:`INPUT_SIZE` and returns the
    CRNN's logits ((N, steps, num_class); EasyOCR applies the softmax and decodes, class 0 = CTC blank as in ours).

    Args:
        num_class: 1 + the number of characters in the yaml's ``character_list`` (our ``plate_render.ALPHABET``).
        bands, bidirectional, rows: the CRNN's layout (``build_ctc_model``), from the yaml's ``network_params``.
    """

    def __init__(self, num_class: int, bands: int = 2, bidirectional: bool = True, rows: bool = True):
        super().__init__()
        from helmetscan.modelling.plate_train import build_ctc_model

        self.net = build_ctc_model(num_class, bands, bidirectional, rows)

    def forward(self, image: torch.Tensor, text=None) -> torch.Tensor:
        crops = [unpad(x) for x in (image + 1.0) / 2.0]
        x = torch.cat([nn.functional.interpolate(c[None], size=INPUT_SIZE, mode="bilinear", align_corners=False)
                       for c in crops])
        return self.net.logits(x)


def unpad(image: torch.Tensor) -> torch.Tensor:
    """One crop of EasyOCR's batch ((1, H, W) float) without the columns EasyOCR added on its right: it pads every crop
    to the batch's width ``ceil(w / h) · imgH`` by repeating the crop's last column (``recognition.NormalizePAD``,
    EasyOCR 1.7), which would otherwise be squeezed into the network's input with the crop."""
    last = image[..., -1:]
    same = (image == last).all(dim=1).all(dim=0)  # (W,) columns equal to the last one
    differing = torch.nonzero(~same)
    width = int(differing[-1]) + 2 if len(differing) else image.shape[-1]  # keep one copy of the last column
    return image[..., : min(width, image.shape[-1])]
