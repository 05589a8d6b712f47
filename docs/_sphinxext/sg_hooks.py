"""Hooks for sphinx-gallery, named by string in ``docs/conf.py``.

A module of its own because sphinx-gallery imports callables by their
qualified name (so that the configuration stays picklable).
"""


def reset_torch(gallery_conf, fname):
    """Run every example with one torch thread, as the test suite does.

    Recurrent networks gain little from a second thread and lose much when
    another process holds the other core (see the speed page), and one thread
    makes the printed timings comparable between examples.
    """
    import torch

    torch.set_num_threads(1)


class ExampleOrder:
    """Gallery order: the gradient problem, text, per-step outputs, forecasting."""

    ORDER = [
        # the gradient problem and the cells
        "plot_vanishing_gradients.py",
        "plot_gradient_clipping.py",
        "plot_lstm_vs_gru.py",
        # text
        "plot_text_sentiment.py",
        "plot_name_gender.py",
        "plot_pretrained_embeddings.py",
        "plot_attention.py",
        # one output per step, static features
        "plot_hyphenation.py",
        "plot_demand_per_step.py",
        "plot_chickweight_static.py",
        # forecasting
        "plot_airline_forecast.py",
        "plot_sunspots_forecast.py",
        "plot_visnights_panel.py",
        "plot_prison_static.py",
        "plot_elecdemand_covariates.py",
    ]

    def __init__(self, src_dir):
        self.src_dir = src_dir

    def __call__(self, filename):
        # Examples not listed come last, by name.
        rank = self.ORDER.index(filename) if filename in self.ORDER else len(self.ORDER)
        return rank, filename

    def __repr__(self):
        return f"<{type(self).__name__}>"
