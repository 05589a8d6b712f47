"""RNNRegressor: SimpleRNN / LSTM / GRU sequence regression."""

from functools import partial

import numpy as np
import torch
from sklearn.base import RegressorMixin
from sklearn.utils import check_array
from sklearn.utils.validation import check_is_fitted

from ._base import _BaseRNN, split_steps
from ._callbacks import ScoreMonitor
from ._losses import PinballLoss
from ._sklearn_compat import _fit_context


class RNNRegressor(RegressorMixin, _BaseRNN):
    """Recurrent neural network regressor (SimpleRNN, LSTM or GRU).

    A scikit-learn estimator that builds and trains a PyTorch recurrent
    network through skorch. Inputs are sequences, exactly as for
    :class:`RNNClassifier`. Targets may have one or several outputs and any
    scale: they are standardised internally (mean 0, variance 1 per output)
    and predictions are mapped back.

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
    quantiles : sequence of float in (0, 1) or None, default=None
        Train for these quantile levels of every target with the pinball
        loss instead of the mean with the squared error (e.g.
        ``(0.1, 0.5, 0.9)``). :meth:`predict_quantiles` returns them, never
        crossing (sorted per sample); :meth:`predict` returns the level
        closest to 0.5 (the median when it is listed).
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
        Number of regression targets.
    y_mean_, y_scale_ : ndarray of shape (n_outputs_,)
        Target standardisation learned in ``fit``.
    quantiles_ : ndarray of shape (n_quantiles,) or None
        The sorted quantile levels trained, or None for a mean model.
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
    RNNClassifier : The same networks for classification.

    Examples
    --------
    >>> import numpy as np
    >>> from sksequence import RNNRegressor
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(80, 6)).astype("float32")  # 80 univariate series
    >>> y = 100 + 10 * X.sum(axis=1)
    >>> reg = RNNRegressor(hidden_size=16, max_epochs=40, lr=0.01,
    ...                    random_state=0).fit(X, y)
    >>> reg.predict(X[:3]).shape
    (3,)
    >>> bool(reg.score(X, y) > 0.8)
    True
    """

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
        quantiles=None,
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
        self.quantiles = quantiles
        self.callbacks = callbacks
        self.warm_start = warm_start
        self.random_state = random_state
        self.device = device
        self.n_threads = n_threads
        self.verbose = verbose

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, sample_weight=None):
        """Train the network on sequences ``X`` and targets ``y``.

        Parameters
        ----------
        X : array-like or list of array-like
            Sequences (see the class docstring for accepted forms).
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            Targets.
        sample_weight : array-like of shape (n_samples,), default=None
            Per-sample loss weights.

        Returns
        -------
        self : RNNRegressor
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
    def partial_fit(self, X, y, sample_weight=None):
        """Train for one epoch, keeping the current weights if fitted.

        Parameters
        ----------
        X : array-like or list of array-like
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
        sample_weight : array-like of shape (n_samples,), default=None

        Returns
        -------
        self : RNNRegressor
        """
        return self._train(X, y, sample_weight, warm=True, epochs=1, validate=False)

    _parameter_constraints = {
        **_BaseRNN._parameter_constraints,
        "quantiles": [None, "array-like"],
    }
    _epoch_score = "r2"

    def predict(self, X):
        """Predicted targets, shape ``(n_samples,)`` or ``(n_samples, n_outputs)``.

        The shape follows the ``y`` given to ``fit``. A quantile model
        predicts the level closest to 0.5.
        """
        outputs, lengths = self._quantile_outputs(X)
        outputs = outputs[:, :, self._point_quantile()]
        outputs = outputs[:, 0] if self.y_ndim_ == 1 else outputs
        return outputs if lengths is None else split_steps(outputs, lengths)

    def score(self, X, y, sample_weight=None):
        """R^2 of the predictions; for per-step models, over all valid steps.

        Parameters
        ----------
        X : array-like or list of array-like
        y : array-like of shape (n_samples,) or (n_samples, n_outputs), or
            per-step targets
        sample_weight : array-like of shape (n_samples,), default=None

        Returns
        -------
        score : float
        """
        check_is_fitted(self, "net_")
        if not self._predicts_per_step():
            return super().score(X, y, sample_weight=sample_weight)
        from .scoring import per_step_score

        return per_step_score("r2", y, self.predict(X), sample_weight)

    def predict_quantiles(self, X):
        """Predicted quantiles of a model fitted with ``quantiles``.

        Returns
        -------
        ndarray of shape (n_samples, n_quantiles) or (n_samples, n_outputs, n_quantiles)
            Levels ``quantiles_``, in increasing order; the values are sorted
            per sample, so quantiles never cross. The shape follows ``y``.
        """
        check_is_fitted(self, "net_")
        if self.quantiles_ is None:
            raise ValueError(
                "predict_quantiles needs a model fitted with quantiles, but this "
                "RNNRegressor was fitted with quantiles=None (a mean model). Set "
                "quantiles=(0.1, 0.5, 0.9), for example, and fit again."
            )
        outputs, lengths = self._quantile_outputs(X)
        outputs = outputs[:, 0] if self.y_ndim_ == 1 else outputs
        return outputs if lengths is None else split_steps(outputs, lengths)

    def _quantile_outputs(self, X):
        """De-standardised outputs, (rows, n_outputs, n_quantiles), and lengths.

        Rows are sequences, or valid steps of per-step models (``lengths``
        then splits them by sequence).
        """
        raw, lengths = self._forward(X)
        raw = raw.reshape(len(raw), self.n_outputs_, -1)
        outputs = raw * self.y_scale_[:, None] + self.y_mean_[:, None]
        # Sorting is the monotone rearrangement of the quantile curve: it
        # never increases the pinball loss and removes any crossing.
        return np.sort(outputs, axis=2), lengths

    def _point_quantile(self):
        if self.quantiles_ is None:
            return 0
        return int(np.argmin(np.abs(self.quantiles_ - 0.5)))

    def _criterion(self, fitted):
        if fitted.get("quantiles_") is None:
            return torch.nn.MSELoss
        return partial(PinballLoss, fitted["quantiles_"].tolist())

    def _head_units(self, fitted):
        quantiles = fitted.get("quantiles_")
        return fitted["n_outputs_"] * (1 if quantiles is None else len(quantiles))

    def _score_monitor(self, fitted):
        quantiles = fitted.get("quantiles_")
        if quantiles is None:
            return ScoreMonitor("r2")
        n_quantiles = len(quantiles)
        point = int(np.argmin(np.abs(quantiles - 0.5)))
        # The median units of every target, in the network's unit order.
        columns = [
            target * n_quantiles + point for target in range(fitted["n_outputs_"])
        ]
        return ScoreMonitor("r2", columns=columns)

    def _encode_targets(self, y, *, warm, classes=None):
        y = check_array(y, ensure_2d=False, dtype="numeric", input_name="y")
        if y.ndim > 2:
            raise ValueError(
                f"y must be 1-D (n_samples,) or 2-D (n_samples, n_outputs), got "
                f"shape {y.shape}."
            )
        targets = y.reshape(len(y), -1).astype(np.float64)
        quantiles = self.quantiles_ if warm else _check_quantiles(self.quantiles)
        if warm and not _same_quantiles(quantiles, self.quantiles):
            raise ValueError(
                f"warm_start=True continues training the fitted network, but "
                f"quantiles changed since it was fitted ({_describe(quantiles)} -> "
                f"{_describe(self.quantiles)}). Set warm_start=False to train a new "
                "network, or set them back."
            )
        if warm:
            if targets.shape[1] != self.n_outputs_:
                raise ValueError(
                    f"y has {targets.shape[1]} outputs, but RNNRegressor was "
                    f"fitted with {self.n_outputs_}."
                )
            mean, scale = self.y_mean_, self.y_scale_
        else:
            mean, scale = _standardisation(targets)
        encoded = ((targets - mean) / scale).astype(np.float32)
        fitted = {
            "n_outputs_": targets.shape[1],
            "y_mean_": mean,
            "y_scale_": scale,
            "y_ndim_": y.ndim,
            "quantiles_": quantiles,
        }
        return encoded, fitted

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        return tags


def _check_quantiles(quantiles):
    if quantiles is None:
        return None
    levels = np.asarray(quantiles, dtype=np.float64).reshape(-1)
    if not len(levels) or not np.all((levels > 0) & (levels < 1)):
        raise ValueError(
            f"quantiles must be levels strictly between 0 and 1, e.g. (0.1, 0.5, "
            f"0.9), but got {np.ravel(quantiles).tolist()}."
        )
    if len(np.unique(levels)) != len(levels):
        raise ValueError(
            f"quantiles must be distinct, but {levels.tolist()} repeats a level."
        )
    return np.sort(levels)


def _same_quantiles(fitted, requested):
    if fitted is None or requested is None:
        return fitted is None and requested is None
    requested = np.sort(np.asarray(requested, dtype=np.float64).reshape(-1))
    return fitted.shape == requested.shape and np.allclose(fitted, requested)


def _describe(quantiles):
    return None if quantiles is None else np.asarray(quantiles).tolist()


def _standardisation(targets):
    """Per-output mean and standard deviation, without overflow.

    Computed on the targets divided by their largest magnitude, so that
    values near float64's limit (e.g. 1e200, whose square overflows) still
    give finite statistics.
    """
    magnitude = np.abs(targets).max(axis=0)
    magnitude[magnitude == 0] = 1.0
    unit = targets / magnitude
    mean = unit.mean(axis=0) * magnitude
    scale = unit.std(axis=0) * magnitude
    scale[~(scale > 0)] = 1.0
    return mean, scale
