"""causalbook: the helper package of the book *Seeing and Doing*.

Modules:

* :mod:`causalbook.models`: the three structural causal models, as posted
  (deterministic sites), in sample-site form, and as linear specifications.
* :mod:`causalbook.exact`: linear-Gaussian SCMs on any DAG, and their
  closed-form joint, conditional, interventional, counterfactual and
  back-door adjusted distributions (with the back-door criterion).
* :mod:`causalbook.scm`: a linear-Gaussian SCM as a NumPyro model, one
  sample site per variable (``LinearGaussianSCM.to_numpyro``).
* :mod:`causalbook.handlers`: ``do`` and ``condition`` that raise instead
  of silently ignoring a site they cannot act on.
* :mod:`causalbook.sampling`: n draws of a model in one vectorized, jitted
  call.
* :mod:`causalbook.stats`: sample moments with their Monte Carlo standard
  errors.
* :mod:`causalbook.plots`: the book's figures, in one look.
* :mod:`causalbook.inference`: NUTS on a conditioned model, compiled once
  per model.
* :mod:`causalbook.report`: glue computed numbers into the prose; versions
  used.
* :mod:`causalbook.explorers`: interactive explorers (Vega-Lite charts with
  a slider) of seeing versus doing and of do(Y), from the exact answers;
  :mod:`causalbook.explorer_site` draws them on the site with its own Vega.
* :mod:`causalbook.seeing`, :mod:`causalbook.doing`,
  :mod:`causalbook.mechanics`, :mod:`causalbook.counterfactual`: what
  Chapters 2, 3, 4 and 5 need beyond the above (window estimates, node
  splitting, a message log, twin networks and the ladder's bookkeeping).
"""

__version__ = "0.1.0"
