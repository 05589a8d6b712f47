"""RNNClassifier: SimpleRNN / LSTM / GRU sequence classification."""

from numbers import Real

import numpy as np
import torch
from sklearn.base import ClassifierMixin
from sklearn.utils import check_array, column_or_1d
from sklearn.utils.class_weight import compute_class_weight
from sklearn.utils.multiclass import type_of_target
from sklearn.utils.validation import check_is_fitted

from ._base import _BaseRNN, _check_weights, split_steps
from ._losses import StepCrossEntropyLoss
from ._sklearn_compat import StrOptions, _fit_context


class RNNClassifier(ClassifierMixin, _BaseRNN):
    """Recurrent neural network classifier (SimpleRNN, LSTM or GRU).

    A scikit-learn estimator that builds and trains a PyTorch recurrent
    network through skorch. Inputs are sequences: ``(n_samples, n_timesteps,
    n_features)`` floats, ``(n_samples, n_timesteps)`` floats (univariate),
    ``(n_samples, n_timesteps)`` integer token ids (0 = padding), a list of
    arrays of different lengths, or arrays padded with all-NaN time steps.
    Padding never changes a prediction.

    Parameters
    ----------
    cell : {"rnn", "lstm", "gru"}, default="lstm"
        Recurrent cell: Elman SimpleRNN (tanh), LSTM or GRU.
    hidden_size : int, default=32
        Units per direction in every recurrent layer.
    num_layers : int, default=1
        Number of stacked recurrent layers.
    bidirectional : bool, default=False
        Read every sequence in both directions.
    dropout : float, default=0.0
        Dropout between stacked layers and before the output layer.
    embedding_dim : int, default=32
        Size of the token embedding. Used only for integer token-id input;
        the vocabulary size is inferred from the training data.
    embedding_weights : array-like of shape (n_ids, embedding_dim), default=None
        Initial embedding rows for token ids ``0..n_ids-1`` (row 0 is
        padding, row 1 the unknown token), e.g. pretrained word vectors
        aligned with a tokenizer by :func:`sksequence.embeddings.align_vectors`.
        Its width replaces ``embedding_dim``; ids beyond it start random.
    freeze_embedding : bool, default=False
        Keep the embedding fixed during training.
    pooling : {"last", "mean", "max", "attention"}, default="last"
        Sequence summary fed to the output layer: the state at each
        sequence's true last step, the mean or max over its valid steps, or
        an attention-weighted mean (a learned score per step, softmax over
        the valid steps; see :meth:`attention_weights`).
    head_layers : tuple of int, default=()
        Hidden sizes of ReLU layers between the sequence summary (with the
        static features) and the output layer, as Dense layers after a
        Keras RNN: ``(64,)`` adds one. ``()`` keeps one linear output layer.
    per_step : bool, default=False
        One output per time step (sequence labelling, per-step regression)
        instead of one per sequence. ``y`` then holds per-step targets: a
        list of arrays with the lengths of the sequences of ``X``, or a
        post-padded array ``(n_samples, n_steps, ...)`` of which
        ``y[i, :length_i]`` is read. The loss averages the valid steps only;
        predictions are an object array with one array per sequence.
        ``pooling`` must stay ``"last"`` (unused). A unidirectional model is
        causal: its output at step ``t`` reads steps ``0..t`` only; a
        bidirectional one reads the whole sequence.
    static_input : {"head", "init"}, default="head"
        How static features enter, when ``X`` is a table with sequence
        columns and static (numeric) columns: concatenated to the summary
        before the output layer (``"head"``), or mapped to the initial
        hidden state of every layer (``"init"``).
    static_columns : array-like of int or str, default=None
        For scikit-learn tools that accept only numeric 2-D ``X``
        (``OneVsOneClassifier``, the chains, ``SelfTrainingClassifier``):
        the columns of a numeric table ``X`` that hold static features; the
        other columns are the time steps of one univariate sequence per row
        (trailing all-NaN steps are padding). Not needed for a DataFrame
        whose cells hold sequences.
    init : {"keras", "pytorch", "orthogonal"}, default="keras"
        Weight initialisation. ``"keras"``: Glorot-uniform input weights,
        orthogonal recurrent weights, zero biases and an LSTM forget-gate bias
        of 1 (keeps gradients alive over long sequences). ``"pytorch"``:
        PyTorch's defaults. ``"orthogonal"``: orthogonal input and recurrent
        weights.
    optimizer : {"adam", "adamw", "rmsprop", "sgd"}, default="adam"
        Torch optimizer, with PyTorch's default settings apart from ``lr``
        and ``weight_decay``.
    lr : float, default=1e-3
        Learning rate (the peak rate for ``lr_schedule="onecycle"``).
    lr_schedule : {"constant", "plateau", "cosine", "onecycle"}, default="constant"
        Learning-rate schedule within each fit (skorch's ``LRScheduler``;
        the history records ``lr`` per epoch). ``"plateau"`` halves the rate
        when the loss (the validation tail's with ``early_stopping``, else
        the training loss) has not improved by ``tol`` for
        ``max(1, n_iter_no_change // 2)`` epochs; ``"cosine"`` anneals from
        ``lr`` to 0 over ``max_epochs``; ``"onecycle"`` warms up to ``lr``
        and anneals, stepped every batch.
    weight_decay : float or None, default=None
        Weight decay passed to the torch optimizer. ``None`` keeps the
        optimizer's own default: 0 for ``"adam"``, ``"rmsprop"`` and
        ``"sgd"``, 0.01 for ``"adamw"``. It is an L2 penalty added to the
        gradient for ``"adam"``, ``"rmsprop"`` and ``"sgd"``, and decoupled
        weight decay (applied to the weights directly) for ``"adamw"``.
    batch_size : int, default=32
        Sequences per training step. Batches group sequences of similar
        length.
    max_epochs : int, default=50
        Passes over the training data.
    clip_norm : float or None, default=None
        Rescale gradients whose global L2 norm exceeds this value.
    clip_value : float or None, default=None
        Clamp every gradient element to ``[-clip_value, clip_value]``.
    early_stopping : bool, default=False
        Stop when the loss on a validation tail stops improving, and restore
        the best weights.
    validation_fraction : float, default=0.1
        Share of the training data, taken from the *end* in the order given
        (never shuffled), used for early stopping.
    validation_gap : int, default=0
        Samples dropped between the training part and the validation tail
        (use the window length for overlapping time-series windows).
    n_iter_no_change : int, default=10
        Epochs without improvement before early stopping.
    tol : float, default=1e-4
        Relative improvement of the validation loss that counts.
    class_weight : dict, "balanced" or None, default=None
        Weights per class, multiplied into ``sample_weight``.
    callbacks : list of skorch callbacks or (name, callback) tuples, default=None
        Extra skorch callbacks (checkpoints, loggers, scorers). Each fit uses
        copies, run after sksequence's own (clipping and monitoring, the
        explosion check, scores, early stopping, the schedule) in the order
        given. A callback that raises ``KeyboardInterrupt`` ends training as
        a finished fit (skorch's convention); the names in
        ``OWN_CALLBACKS`` are reserved. Models with callbacks pickle, but
        ``sksequence.persistence.save`` refuses them (callbacks are code).
    warm_start : bool, default=False
        Continue training the fitted network (and its optimizer state) on
        the next ``fit``.
    random_state : int, RandomState instance or None, default=None
        Seeds weight initialisation, dropout and batch order. Fitting never
        changes torch's or numpy's global random state.
    device : {"cpu", "cuda", "auto"} or str, default="cpu"
        Torch device for training and prediction; ``"auto"`` picks CUDA when
        available.
    n_threads : int or None, default=None
        Torch CPU threads for ``fit`` and prediction. ``None`` keeps torch's
        current setting (``torch.get_num_threads()``, which joblib lowers
        inside parallel ``GridSearchCV`` workers); an int sets
        ``torch.set_num_threads(n_threads)`` for the call only and restores the
        previous value after it. Small recurrent models gain little from a
        second thread and lose up to 6x when other processes share the cores
        (measured, see the benchmarks): use ``n_threads=1`` on small or shared
        machines. Torch applies the setting to the calling thread (and to
        threads started after it), so fit and predict from the thread that
        should use it.
    verbose : int, default=0
        ``0`` is silent; ``1`` prints a per-epoch table and a progress bar.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        Class labels.
    n_features_in_ : int
        Features per time step (1 for univariate series and token ids).
    n_static_features_in_ : int
        Static features per sequence (0 unless ``X`` was a table with
        static columns).
    module_params_ : dict
        The arguments the network was built with (what was trained, even
        after ``set_params``).
    input_kind_ : {"float", "tokens"}
        Whether the model was fitted on float sequences or token ids.
    vocab_size_ : int or None
        Embedding rows (largest training token id + 1) for token input.
    n_outputs_ : int
        Output units of the network (1 for binary problems).
    n_iter_ : int
        Epochs run by the last call to ``fit`` or ``partial_fit``.
    device_ : str
        Device the model lives on.
    net_ : skorch.NeuralNet
        The trained skorch net; ``net_.module_`` is the torch module.
    history_ : skorch.History
        Per-epoch training record (losses, gradient norms, clipping).

    See Also
    --------
    RNNRegressor : The same networks for regression.

    Examples
    --------
    >>> import numpy as np
    >>> from sksequence import RNNClassifier
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(60, 8, 2)).astype("float32")
    >>> y = np.where(X[:, :, 0].sum(axis=1) > 0, "up", "down")
    >>> clf = RNNClassifier(cell="gru", hidden_size=8, max_epochs=30, lr=0.01,
    ...                     random_state=0).fit(X, y)
    >>> clf.classes_.tolist()
    ['down', 'up']
    >>> clf.predict_proba(X[:2]).shape
    (2, 2)
    """

    _parameter_constraints = {
        **_BaseRNN._parameter_constraints,
        "class_weight": [dict, StrOptions({"balanced"}), None],
    }
    _epoch_score = "accuracy"
    _warn_unseen_classes = True

    def __init__(
        self,
        *,
        cell="lstm",
        hidden_size=32,
        num_layers=1,
        bidirectional=False,
        dropout=0.0,
        embedding_dim=32,
        embedding_weights=None,
        freeze_embedding=False,
        pooling="last",
        head_layers=(),
        per_step=False,
        static_input="head",
        static_columns=None,
        init="keras",
        optimizer="adam",
        lr=1e-3,
        lr_schedule="constant",
        weight_decay=None,
        batch_size=32,
        max_epochs=50,
        clip_norm=None,
        clip_value=None,
        early_stopping=False,
        validation_fraction=0.1,
        validation_gap=0,
        n_iter_no_change=10,
        tol=1e-4,
        class_weight=None,
        callbacks=None,
        warm_start=False,
        random_state=None,
        device="cpu",
        n_threads=None,
        verbose=0,
    ):
        self.cell = cell
        self.hidden_size = hidden_size
        self.num_layers = num_layers
        self.bidirectional = bidirectional
        self.dropout = dropout
        self.embedding_dim = embedding_dim
        self.embedding_weights = embedding_weights
        self.freeze_embedding = freeze_embedding
        self.pooling = pooling
        self.head_layers = head_layers
        self.per_step = per_step
        self.static_input = static_input
        self.static_columns = static_columns
        self.init = init
        self.optimizer = optimizer
        self.lr = lr
        self.lr_schedule = lr_schedule
        self.weight_decay = weight_decay
        self.batch_size = batch_size
        self.max_epochs = max_epochs
        self.clip_norm = clip_norm
        self.clip_value = clip_value
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.validation_gap = validation_gap
        self.n_iter_no_change = n_iter_no_change
        self.tol = tol
        self.class_weight = class_weight
        self.callbacks = callbacks
        self.warm_start = warm_start
        self.random_state = random_state
        self.device = device
        self.n_threads = n_threads
        self.verbose = verbose

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, sample_weight=None):
        """Train the network on sequences ``X`` and labels ``y``.

        Parameters
        ----------
        X : array-like or list of array-like
            Sequences (see the class docstring for accepted forms).
        y : array-like of shape (n_samples,)
            Labels of any type (strings included).
        sample_weight : array-like of shape (n_samples,), default=None
            Per-sample loss weights.

        Returns
        -------
        self : RNNClassifier
        """
        return self._train(
            X,
            y,
            sample_weight,
            warm=self.warm_start,
            epochs=self.max_epochs,
            validate=self.early_stopping,
        )

    @_fit_context(prefer_skip_nested_validation=True)
    def partial_fit(self, X, y, classes=None, sample_weight=None):
        """Train for one epoch, keeping the current weights if fitted.

        Parameters
        ----------
        X : array-like or list of array-like
        y : array-like of shape (n_samples,)
        classes : array-like of shape (n_classes,), default=None
            All labels that will ever appear; required on the first call if
            ``y`` does not contain every class.
        sample_weight : array-like of shape (n_samples,), default=None

        Returns
        -------
        self : RNNClassifier
        """
        return self._train(
            X, y, sample_weight, warm=True, epochs=1, validate=False, classes=classes
        )

    def predict_proba(self, X):
        """Class probabilities, shape ``(n_samples, n_classes)``.

        With ``per_step=True``: an object array with one ``(n_steps_i,
        n_classes)`` array per sequence.
        """
        logits, lengths = self._forward(X)
        logits = torch.from_numpy(logits)
        if self.n_outputs_ == 1:
            positive = torch.sigmoid(logits)
            proba = torch.cat([1.0 - positive, positive], dim=1).numpy()
        else:
            proba = torch.softmax(logits, dim=1).numpy()
        return proba if lengths is None else split_steps(proba, lengths)

    def predict_log_proba(self, X):
        """Log of the class probabilities, shape ``(n_samples, n_classes)``.

        Computed from the logits (``log_softmax``, or ``logsigmoid`` of
        ``-z`` and ``z`` for two classes), so it stays finite where
        ``np.log(predict_proba(X))`` underflows to ``-inf``. Per-step models
        return one array per sequence, as :meth:`predict_proba`.
        """
        logits, lengths = self._forward(X)
        logits = torch.from_numpy(logits)
        if self.n_outputs_ == 1:
            log_positive = torch.nn.functional.logsigmoid(logits)
            log_negative = torch.nn.functional.logsigmoid(-logits)
            log_proba = torch.cat([log_negative, log_positive], dim=1).numpy()
        else:
            log_proba = torch.log_softmax(logits, dim=1).numpy()
        return log_proba if lengths is None else split_steps(log_proba, lengths)

    def predict(self, X):
        """Most probable class of each sequence (of each step, per step)."""
        proba = self.predict_proba(X)
        if self._predicts_per_step():
            return split_steps(
                self.classes_[np.concatenate(proba).argmax(axis=1)],
                np.array([len(p) for p in proba]),
            )
        return self.classes_[proba.argmax(axis=1)]

    def score(self, X, y, sample_weight=None):
        """Mean accuracy; for per-step models, over all valid steps.

        Parameters
        ----------
        X : array-like or list of array-like
        y : array-like of shape (n_samples,), or per-step labels
        sample_weight : array-like of shape (n_samples,), default=None

        Returns
        -------
        score : float
        """
        check_is_fitted(self, "net_")
        if not self._predicts_per_step():
            return super().score(X, y, sample_weight=sample_weight)
        from .scoring import per_step_score

        return per_step_score("accuracy", y, self.predict(X), sample_weight)

    def _criterion(self, fitted):
        if fitted["n_outputs_"] == 1:
            return torch.nn.BCEWithLogitsLoss
        # Reads per-step logits (batch, steps, classes) as well.
        return StepCrossEntropyLoss

    def _encode_targets(self, y, *, warm, classes):
        _check_labels(np.asarray(y), "y")  # before sklearn's less specific checks
        y = column_or_1d(
            check_array(y, ensure_2d=False, dtype=None, input_name="y"), warn=True
        )
        if classes is not None:
            _check_labels(np.asarray(classes), "classes")
        kind = type_of_target(y, input_name="y")
        if kind not in ("binary", "multiclass"):
            raise ValueError(
                f"Unknown label type: {kind}. RNNClassifier expects discrete class "
                "labels (binary or multiclass); for continuous targets use "
                "RNNRegressor."
            )
        if warm:
            classes_ = self.classes_
        else:
            classes_ = np.unique(y if classes is None else classes)
            if len(classes_) < 2:
                raise ValueError(
                    f"RNNClassifier needs samples of at least 2 classes, but y "
                    f"contains only one class: {classes_.tolist()[0]!r}. Pass data "
                    "with several classes (or pass `classes` to partial_fit)."
                )
        unseen = np.setdiff1d(y, classes_)
        if len(unseen):
            raise ValueError(
                f"y contains labels {unseen.tolist()} that are not among the "
                f"classes the model was built for: {classes_.tolist()}. Pass all "
                "labels as `classes` to the first partial_fit call."
            )
        codes = np.searchsorted(classes_, y)
        n_outputs = 1 if len(classes_) == 2 else len(classes_)
        if n_outputs == 1:
            encoded = codes.astype(np.float32)[:, np.newaxis]
        else:
            encoded = codes.astype(np.int64)
        return encoded, {"classes_": classes_, "n_outputs_": n_outputs}

    def _sample_weights(self, sample_weight, y, n_samples, fitted):
        weight = super()._sample_weights(sample_weight, y, n_samples, fitted)
        if self.class_weight is None:
            return weight
        classes = fitted["classes_"]
        y = column_or_1d(y)
        if isinstance(self.class_weight, dict):
            per_class = _class_weight_dict(self.class_weight, classes)
        else:
            per_class = compute_class_weight(self.class_weight, classes=classes, y=y)
        from_class = per_class[np.searchsorted(classes, y)]
        combined = from_class if weight is None else weight * from_class
        return _check_weights(combined, "sample_weight times class_weight")


def _check_labels(y, what):
    """Refuse missing labels and labels of mixed types before sorting them."""
    if y.dtype != object:
        return
    y = y.reshape(-1)
    missing = np.array([v is None or (isinstance(v, float) and v != v) for v in y])
    if missing.any():
        row = int(np.flatnonzero(missing)[0])
        raise ValueError(
            f"{what} holds {int(missing.sum())} missing label(s) (None or NaN), the "
            f"first at position {row}. Drop those samples or give them a label."
        )
    kinds = {("str" if isinstance(v, str) else "number") for v in y}
    if len(kinds) > 1:
        first_str = next(i for i, v in enumerate(y) if isinstance(v, str))
        first_num = next(i for i, v in enumerate(y) if not isinstance(v, str))
        raise ValueError(
            f"{what} mixes string and numeric labels (e.g. {y[first_str]!r} at "
            f"position {first_str} and {y[first_num]!r} at position {first_num}), "
            f"which cannot be ordered. Use one type for all labels, e.g. "
            f"{what}.astype(str)."
        )


def _class_weight_dict(class_weight, classes):
    """Per-class weights from a dict; classes it does not name weigh 1."""
    known = set(classes.tolist())
    unknown = [key for key in class_weight if key not in known]
    if unknown:
        raise ValueError(
            f"class_weight names classes that are not in y: {unknown}. The "
            f"classes are {classes.tolist()}; use their labels as keys."
        )
    per_class = np.ones(len(classes))
    for key, value in class_weight.items():
        if (
            isinstance(value, bool)
            or not isinstance(value, Real)
            or not np.isfinite(value)
            or value < 0
        ):
            raise ValueError(
                f"class_weight must map classes to finite, non-negative numbers, "
                f"but class {key!r} has the weight {value!r}. Pass weights >= 0."
            )
        per_class[np.searchsorted(classes, key)] = float(value)
    return per_class
