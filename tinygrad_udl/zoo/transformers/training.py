"""Trainers for the two chapter-12 entries that are more than one `fit`: pre-training then
fine-tuning (section 12.6), and a vision transformer trained beside the chapter-10 CNN."""
from __future__ import annotations

from ...optim import Adam
from ...training import fit
from ..runner import fit_model, seeds, train_model
from ..supervised.mnist1d_cnn import MNIST1DCNN
from .bert import mask_tokens
from .data import MASK_RATE, markov_pair_unlabelled, masked_token_cross_entropy


def pretrain_then_fine_tune(entry, hyper, split, seed, progress=None, compile=True):
    """Section 12.6: pre-train the classifier's encoder on unlabelled sequences with the masked-token
    objective (`hyper["pretrain_steps"]` Adam steps at `hyper["pretrain_lr"]`; fixed masks drawn
    from the seed), then train the whole network, the new <cls> head included, on the labelled
    data (`hyper["steps"]` at `hyper["lr"]`, smaller, as BERT fine-tunes). For comparison the same
    network is also fine-tuned from its initial weights without pre-training (same batches).
    `history.info` keeps the masked-token loss before and after pre-training ("pretraining") and
    the test error of the network without it ("from_scratch"). `compile=False`: eager steps, in the
    pre-training and the fine-tuning."""
    init, masks, pretrain_batches, batches = seeds(seed, 4)
    model = entry.build(rng=init)
    encoder = model.encoder
    text = mask_tokens(markov_pair_unlabelled(), MASK_RATE, masks, mask_token=encoder.mask_token)
    pretraining = fit(encoder, Adam(encoder.parameters(), lr=hyper["pretrain_lr"]), text,
                      loss_fn=masked_token_cross_entropy, error_fn=None, steps=hyper["pretrain_steps"],
                      batch_size=hyper["batch_size"], eval_every=10 ** 9, rng=pretrain_batches, progress=progress,
                      desc=f"{entry.name} pre-training", compile=compile)
    history = fit_model(model, entry, hyper, split, batches, progress, desc=f"{entry.name} fine-tuning",
                        compile=compile)
    init, _, _, batches = seeds(seed, 4)   # fresh generators: the same initial weights and batch order
    scratch = fit_model(entry.build(rng=init), entry, hyper, split, batches, progress,
                        desc=f"{entry.name} without pre-training", compile=compile)
    history.info["pretraining"] = {"steps": pretraining.info["steps_run"],
                                   "masked_loss_before": pretraining[0]["train_loss"],
                                   "masked_loss_after": pretraining.last["train_loss"]}
    history.info["from_scratch"] = {"test_error": scratch.final["test_error"]}
    history.info["seconds"] += pretraining.info["seconds"] + scratch.info["seconds"]
    return model, history


def beside_the_cnn(entry, hyper, split, seed, progress=None, compile=True):
    """Train the entry's model, then fig. 10.7's CNN (`MNIST1DCNN`) with the same optimizer, steps
    and batches on the same data: `history.info["cnn"]` holds the CNN's test error and size."""
    model, history = train_model(entry, hyper, split, seed, progress, compile=compile)
    cnn_rng, fit_rng = seeds(seed, 4)[2:]   # the first two seed the transformer (train_model)
    cnn = MNIST1DCNN(rng=cnn_rng)
    cnn_history = fit_model(cnn, entry, hyper, split, fit_rng, progress, desc="mnist1d-cnn (reference)",
                            compile=compile)
    history.info["cnn"] = {"test_error": cnn_history.final["test_error"], "parameters": cnn.num_parameters()}
    history.info["seconds"] += cnn_history.info["seconds"]
    return model, history
