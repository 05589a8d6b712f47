"""``set_output`` for transformers whose output is not a table."""

__all__ = ["ArrayOutputMixin"]


class ArrayOutputMixin:
    """Answer ``set_output`` clearly for a transformer with 3-D output.

    scikit-learn's ``Pipeline.set_output`` asks every step; a step without
    the method gets an unhelpful error. This one keeps its array output for
    ``"default"`` and None, and refuses ``"pandas"`` and ``"polars"`` with
    what it returns and what to do instead. Put it before ``TransformerMixin``
    and declare ``auto_wrap_output_keys=None`` on the class, so the global
    ``transform_output`` setting never wraps the output either.
    """

    #: What ``transform`` returns, for the message.
    _output_description = "a 3-D array (n_samples, n_timesteps, n_features)"

    def set_output(self, *, transform=None):
        """Keep the array output; refuse DataFrame output with a clear message.

        Parameters
        ----------
        transform : {"default"} or None, default=None
            ``"default"`` and None keep the array output (the only one);
            ``"pandas"`` and ``"polars"`` raise a ValueError.

        Returns
        -------
        self : object
        """
        name = type(self).__name__
        if transform in (None, "default"):
            return self
        if transform in ("pandas", "polars"):
            raise ValueError(
                f"{name} cannot output a {transform} DataFrame: it returns "
                f"{self._output_description}, which has no flat columns. Call "
                f'set_output(transform="{transform}") on the tabular steps only '
                f"(e.g. pipeline[:i].set_output(...) for the steps before {name}), "
                "not on the whole Pipeline."
            )
        raise ValueError(
            "set_output's transform must be 'default', 'pandas', 'polars' or "
            f"None, got {transform!r}; {name} supports 'default' only."
        )
