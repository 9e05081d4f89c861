"""How good are generated digits? Chapter 14's measures beside what a perfect and a trivial generator get.

Every comparison uses 360 images against the 360 test digits (the FID of small samples is biased
upwards, so only equal sample sizes compare):

- generated: the model's samples;
- a perfect generator: 360 *training* digits (real digits the test set has not seen: what a
  generator that sampled the data distribution itself would get, sampling noise included);
- a trivial generator: a Gaussian with the training digits' pixel mean and covariance.

The FID is computed on the 64 pooled convolutional features of
`digits_features.trained_digits_classifier`: in pixel space the trivial Gaussian matches the digits' first two moments
by construction, so pixel-space FID rates it close to a perfect generator (the table shows that
too) although its samples look like noise; the classifier's features tell digits from noise.
"""
from __future__ import annotations

import numpy as np

from ....metrics import fid, inception_score, precision_recall
from .digits_features import class_probabilities, classifier_test_error, features, trained_digits_classifier

REFERENCE_SEED = 7   # the training digits and the Gaussian draws of the reference generators


def reference_images(split, n):
    """(perfect, trivial): n training digits, and n draws of the Gaussian fitted to all training pixels."""
    x_train = split.train[0]
    rng = np.random.default_rng(REFERENCE_SEED)
    perfect = x_train[rng.choice(len(x_train), n, replace=False)]
    pixels = x_train.reshape(len(x_train), -1).astype(np.float64)
    gaussian = rng.multivariate_normal(pixels.mean(axis=0), np.cov(pixels, rowvar=False), size=n)
    return perfect, gaussian.reshape(perfect.shape).astype(np.float32)


def feature_fid(images, split, classifier=None):
    """FID between `images` and the test digits, in the classifier's feature space."""
    classifier = classifier or trained_digits_classifier()
    return fid(features(classifier, split.test[0]), features(classifier, images))


def dcgan_monitor(model, split, rng):
    """History column: the feature FID of as many samples as there are test digits."""
    return {"fid": feature_fid(model.sample(len(split.test[0]), rng), split)}


def _pixels(images):
    return images.reshape(len(images), -1)


def dcgan_rows(model, history, split):
    """FID (features and pixels), Inception score and precision / recall of the model's samples,
    each beside a perfect and a trivial generator."""
    classifier = trained_digits_classifier()
    test = split.test[0]
    n = len(test)
    generated = model.sample(n, np.random.default_rng(REFERENCE_SEED))
    perfect, gaussian = reference_images(split, n)
    test_features = features(classifier, test)
    sets = {"generated": generated, "perfect": perfect, "gaussian": gaussian}
    scores = {}
    for name, images in sets.items():
        feats = features(classifier, images)
        scores[name] = {"fid": fid(test_features, feats), "pixel_fid": fid(_pixels(test), _pixels(images)),
                        "is": inception_score(class_probabilities(classifier, images)),
                        "pr": precision_recall(test_features, feats)}

    def refs(key):
        return (f"held-out real digits (a perfect generator) {scores['perfect'][key]:.3g}; "
                f"a Gaussian with the pixels' mean and covariance {scores['gaussian'][key]:.3g}")

    def pr(name):
        return f"{scores[name]['pr'].precision:.2f} / {scores[name]['pr'].recall:.2f}"

    return [
        {"metric": f"FID vs the {n} test digits (classifier features)", "book": None,
         "ours": scores["generated"]["fid"], "note": refs("fid")},
        {"metric": "FID in pixel space", "book": None, "ours": scores["generated"]["pixel_fid"],
         "note": refs("pixel_fid") + " (it matches the moments pixel FID compares)"},
        {"metric": "Inception score (eq. 14.2; at most 10)", "book": None, "ours": scores["generated"]["is"],
         "note": f"test digits {inception_score(class_probabilities(classifier, test)):.3g}; " + refs("is")},
        {"metric": "precision / recall (section 14.3, k = 3, features)", "book": None, "ours": pr("generated"),
         "note": f"held-out real digits {pr('perfect')}; Gaussian {pr('gaussian')}"},
        {"metric": "test error of the feature classifier (%)", "book": None,
         "ours": classifier_test_error(classifier),
         "note": "the 'inception' network: 3 convolutions, 64 pooled features"},
    ]
