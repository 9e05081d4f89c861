"""Chapter 12, transformers: the zoo's models of text, sequences and images built from the book's
transformer layer (eq. 12.13).

- `GPT` (`gpt.py`): a decoder-only language model (section 12.7): `gpt-markov`, `gpt-hamlet`.
- `MaskedLanguageModel`, `SequenceClassifier` (`bert.py`): a BERT-style encoder, pre-trained on
  masked tokens and fine-tuned with a <cls> head (section 12.6): `bert-markov`, `bert-classify`.
- `EncoderDecoderTransformer` (`seq2seq.py`): cross-attention from decoder to encoder (section
  12.8): `seq2seq-reverse`.
- `VisionTransformer1d` (`vit.py`): patches, <cls> and learned positions (section 12.10.2):
  `vit-mnist1d`.

`blocks.py` holds what they share, `data.py` their tasks, `references.py` the exact numbers they
are compared with, `training.py` the trainers that are more than one `fit`, `pictures.py` the
attention maps; `tinygrad-udl generate` loads the models that `train --out` saves (`zoo.runner.load_model`).
"""
from .bert import MaskedLanguageModel, SequenceClassifier
from .gpt import GPT
from .seq2seq import EncoderDecoderTransformer
from .vit import VisionTransformer1d

__all__ = ["GPT", "MaskedLanguageModel", "SequenceClassifier", "EncoderDecoderTransformer", "VisionTransformer1d"]
