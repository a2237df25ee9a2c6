"""causalbook: the helper package of the book *Seeing and Doing*.

Modules:

* :mod:`causalbook.models`: the three structural causal models, as posted (deterministic
  sites), in sample-site form, and as linear specifications.
* :mod:`causalbook.exact`: closed-form joint, conditional, interventional and
  counterfactual distributions of linear-Gaussian SCMs.
* :mod:`causalbook.handlers`: ``do`` and ``condition`` that raise instead of silently
  ignoring a site they cannot act on.
* :mod:`causalbook.sampling`: n draws of a model in one vectorized, jitted call.
* :mod:`causalbook.stats`: sample moments with their Monte Carlo standard errors.
* :mod:`causalbook.plots`: the book's figures, in one look.
"""

__version__ = "0.1.0"
