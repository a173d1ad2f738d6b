"""Wish lists under uncertainty: a random-utility model of how internes rank terrains.

The pré-choix is run on wish lists nobody has written yet. :class:`PreferenceModel` draws
plausible ones: for interne *i* and terrain *t*

    utility(i, t) = attractiveness[t] + town_bonus · [ville(t) == home(i)] + Gumbel(0, noise)

and each interne lists the terrains open to them (R-ELI-1, -2, -3; non-ambulatory only for a
surnombre, R-SUR-4) by decreasing utility, keeping the length of their current list (R-VOE-1).
Gumbel noise makes the lists Plackett–Luce rankings, which is what
:meth:`PreferenceModel.from_instance` fits. The same model drives the synthetic subdivisions of
:mod:`affectation.datasets` (docs/datasets.md).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator, Mapping
from functools import lru_cache
from typing import TYPE_CHECKING, Any, Literal

import attrs
import numpy as np

from affectation.model import Couple, Instance
from affectation.rules.eligibility import profile
from affectation.rules.turn import reach

if TYPE_CHECKING:
    from affectation.result import Result

__all__ = ["FrozenMap", "PreferenceModel", "Relevance"]

Relevance = Literal["listed", "eligible"]
"""Which terrains an interne lists: see :attr:`PreferenceModel.relevance`."""

COUPLE_TOP = 3
"""A couple's joint list pairs the first ``COUPLE_TOP`` wishes of each member (R-ORD-2)."""


class FrozenMap(Mapping[str, Any]):
    """A read-only, hashable, picklable mapping (a field of a frozen value)."""

    __slots__ = ("_data",)

    def __init__(self, items: Mapping[str, Any] | None = None) -> None:
        self._data: dict[str, Any] = dict(items or {})

    def __getitem__(self, key: str) -> Any:
        return self._data[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._data)

    def __len__(self) -> int:
        return len(self._data)

    def __hash__(self) -> int:
        return hash(frozenset(self._data.items()))

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Mapping) and dict(self.items()) == dict(other.items())

    def __repr__(self) -> str:
        return f"FrozenMap({self._data!r})"

    def __reduce__(self) -> tuple[Any, ...]:
        return (FrozenMap, (self._data,))


def _floats(value: Mapping[str, float]) -> FrozenMap:
    return FrozenMap({str(k): float(v) for k, v in value.items()})


def _strings(value: Mapping[str, str] | None) -> FrozenMap:
    return FrozenMap({str(k): str(v) for k, v in (value or {}).items()})


def _finite_values(instance: Any, attribute: attrs.Attribute, value: FrozenMap) -> None:
    for key, item in value.items():
        if not math.isfinite(item):
            raise ValueError(f"{attribute.name}[{key!r}] must be finite, got {item!r}")


def _finite(instance: Any, attribute: attrs.Attribute, value: float) -> None:
    if not math.isfinite(value):
        raise ValueError(f"{attribute.name} must be finite, got {value!r}")


def _positive(instance: Any, attribute: attrs.Attribute, value: float) -> None:
    if not (math.isfinite(value) and value > 0):
        raise ValueError(f"{attribute.name} must be > 0, got {value!r}")


def _relevance(instance: Any, attribute: attrs.Attribute, value: str) -> None:
    if value not in ("listed", "eligible"):
        raise ValueError(f"relevance must be 'listed' or 'eligible', got {value!r}")


@attrs.frozen
class PreferenceModel:
    """How internes rank terrains: attractiveness + home-town bonus + Gumbel noise."""

    attractiveness: Mapping[str, float] = attrs.field(
        converter=_floats, validator=_finite_values
    )
    """Per terrain id, on the utility scale; only differences matter. A terrain missing here
    (opened by a scenario) gets the mean attractiveness of the known terrains with the same
    categories, else 0."""
    town_bonus: float = attrs.field(default=1.0, converter=float, validator=_finite)
    """Utility added to the terrains of the interne's home town."""
    noise: float = attrs.field(default=1.0, converter=float, validator=_positive)
    """Scale of the Gumbel noise: large → lists close to random, small → everyone agrees."""
    home_towns: Mapping[str, str] = attrs.field(factory=dict, converter=_strings)
    """Interne id → town; an interne missing here lives in the town of their current first
    wish (no bonus when they have no wish or the terrain has no ``ville``)."""
    relevance: Relevance = attrs.field(default="listed", validator=_relevance)
    """``"eligible"``: an interne lists any terrain they may take (R-ELI). ``"listed"``
    (default): also only terrains of a *kind* (set of categories) that some interne of the
    same eligibility profile lists now, so that, say, a T2 whose libre slot would accept the
    urgences does not list them when no T2 does; a profile with no wish at all lists every
    eligible terrain."""

    # --- fitting ------------------------------------------------------------------------------

    @classmethod
    def from_instance(
        cls,
        instance: Instance,
        *,
        town_bonus: float = 1.0,
        noise: float = 1.0,
        home_towns: Mapping[str, str] | None = None,
        relevance: Relevance = "listed",
        prior: float = 1.0,
        max_iterations: int = 1000,
        tolerance: float = 1e-6,
    ) -> PreferenceModel:
        """Attractiveness fitted to the instance's current wish lists.

        Estimator: the maximum a posteriori Plackett–Luce worths, the exact likelihood of
        this model. Each list is read as successive choices, each from the terrains open to
        the interne (the same choice sets :meth:`sample` uses) minus those already listed,
        with the home-town bonus as a known factor ``exp(town_bonus / noise)``; a list stops
        where it stops (top-k rankings). Hunter's MM algorithm (2004) with a Gamma(1 +
        ``prior``, ``prior``) prior on each worth (Caron & Doucet 2012), so that a terrain
        nobody lists gets a low, finite attractiveness. Attractiveness = ``noise`` × log
        worth, centred on 0.
        """
        base = cls({}, town_bonus, noise, home_towns or {}, relevance)
        fit = _Fit(base, instance)
        theta = fit.maximise(prior, max_iterations, tolerance)
        return attrs.evolve(base, attractiveness=fit.attractiveness(theta))

    @classmethod
    def fit_from_result(
        cls,
        instance: Instance,
        result: Result,
        *,
        town_bonus: float = 1.0,
        noise: float = 1.0,
        home_towns: Mapping[str, str] | None = None,
        relevance: Relevance = "listed",
        prior: float = 0.5,
    ) -> PreferenceModel:
        """Attractiveness read from a past choice day (a result file).

        A terrain that filled up early was sought after; one filled late, or left vacant, was
        not. If terrain *t* took ``taken`` internes (surnombres aside, R-SUR Reading) and its
        last poste went at position *p* of the N internes of ``result.ordre``, then while open
        it drew ``taken`` of the first ``q = p / N`` choosers; under a logit model its worth is
        proportional to that rate: ``worth = (taken + prior) / q``, with ``q = 1`` when it
        was left vacant (or was never taken). Attractiveness = ``noise`` × log worth, centred
        on 0. Rough (it ignores who could take what), but monotone: earlier → more attractive.
        A terrain of a round with its own ranking (R-ROUND-2) reads *p* and *N* in that
        round's call order.
        """
        from affectation.rules.order import cached_round_order

        base = cls({}, town_bonus, noise, home_towns or {}, relevance)
        n = max(len(result.ordre), 1)
        whole = ({interne_id: p for p, interne_id in enumerate(result.ordre, start=1)}, n)
        calls: dict[int | None, tuple[dict[str, int], int]] = {}

        def call_of(terrain_id: str) -> tuple[dict[str, int], int]:
            r = instance.terrain_round.get(terrain_id)
            if r is None or instance.rounds[r].classement is None:
                return whole
            if r not in calls:
                order = cached_round_order(instance, r)
                calls[r] = ({i: p for p, i in enumerate(order, start=1)}, max(len(order), 1))
            return calls[r]

        taken: dict[str, int] = {}
        last: dict[str, float] = {}
        for affectation in result.affectations:
            if affectation.terrain is None or affectation.surnombre is not None:
                continue
            terrain = affectation.terrain
            taken[terrain] = taken.get(terrain, 0) + 1
            position, size = call_of(terrain)
            q = position.get(affectation.interne, size) / size
            last[terrain] = max(last.get(terrain, 0.0), q)
        vacant = result.vacants
        log_worth = {}
        for terrain in instance.terrains:
            count = taken.get(terrain.id, 0)
            filled = count > 0 and vacant.get(terrain.id, 0) == 0
            q = last[terrain.id] if filled else 1.0
            log_worth[terrain.id] = math.log((count + prior) / q)
        mean = sum(log_worth.values()) / max(len(log_worth), 1)
        return attrs.evolve(
            base, attractiveness={t: noise * (v - mean) for t, v in log_worth.items()}
        )

    # --- sampling -----------------------------------------------------------------------------

    def sample(
        self,
        instance: Instance,
        rng: np.random.Generator,
        *,
        reference: Instance | None = None,
        known: Iterable[str] | None = None,
    ) -> Instance:
        """The instance with new wish lists for every interne and couple, drawn with ``rng``.

        ``known``: interne ids whose lists are kept as they are (the pré-choix); the others
        are redrawn, an empty list getting the median length of the kept ones. A couple is
        redrawn as a whole (both lists and the joint list, empty: the median length of the
        kept joint lists, else ``COUPLE_TOP²``) as soon as one member is not in ``known``.
        The noise drawn does not depend on ``known``: the redrawn internes get the same
        lists from the same ``rng`` state as in a full redraw.

        Each interne lists the terrains open to them by decreasing utility, as many as their
        current list holds (an empty list stays empty). A couple's joint list is rebuilt from
        the members' new first ``COUPLE_TOP`` wishes: every pair of them by summed utility
        (a pair on one terrain only where it has two postes), cut to the length of the
        current joint list (R-ORD-2). Deterministic for a given ``rng`` state.

        Common random numbers: the noise is drawn in the layout of ``reference`` (default:
        ``instance``), terrain by terrain, then for the terrains and the internes
        ``reference`` lacks. Two instances that differ by a few postes, terrains or internes
        (scenarios of one base) thus get the same noise for every (interne, terrain) they
        share, from the same ``rng`` state.
        """
        kept = None if known is None else frozenset(known)
        return _sampler(self, instance, reference, kept).sample(rng)

    def utilities(
        self,
        instance: Instance,
        rng: np.random.Generator,
        *,
        reference: Instance | None = None,
    ) -> np.ndarray:
        """The ``internes × terrains`` utilities of one draw (``-inf`` where not listable);
        :meth:`sample` ranks them."""
        return _sampler(self, instance, reference).utilities(rng)


# --- internals ------------------------------------------------------------------------------


def _homes(model: PreferenceModel, instance: Instance, towns: dict[str, int]) -> np.ndarray:
    """Town index of every interne's home (``-1``: none); adds unknown towns to ``towns``."""
    homes = np.full(len(instance.internes), -1, dtype=np.int64)
    for row, interne in enumerate(instance.internes):
        town = model.home_towns.get(interne.id)
        if town is None and interne.voeux:
            town = instance.terrain(interne.voeux[0]).ville or None
        if town is not None:
            homes[row] = towns.setdefault(town, len(towns))
    return homes


def _choice_sets(instance: Instance, relevance: str) -> np.ndarray:
    """``internes × terrains``: what each interne may list (R-ELI, R-SUR-4), computed once
    per eligibility profile and kind of terrain."""
    terrains, internes = instance.terrains, instance.internes
    kinds: dict[frozenset[str], int] = {}
    kind_of = np.array([kinds.setdefault(t.category_set, len(kinds)) for t in terrains],
                       dtype=np.int64)
    ambulatory = np.array([t.ambulatoire for t in terrains], dtype=bool)
    groups: dict[tuple[Any, ...], list[int]] = {}
    for row, interne in enumerate(internes):
        key = (profile(instance.maquette_of(interne), interne), interne.surnombre)
        groups.setdefault(key, []).append(row)
    choice = np.zeros((len(internes), len(terrains)), dtype=bool)
    keys = list(zip(kind_of.tolist(), ambulatory.tolist(), strict=True))  # Python ints, fast
    kind_by_id = {t.id: k for t, (k, _) in zip(terrains, keys, strict=True)}
    for (_profile, _surnombre), rows in groups.items():
        # what the interne may hold (R-ELI, R-SUR-3, R-SUR-4: the turn kernel's ``reach``),
        # asked once per kind of terrain and ambulatory or not
        probe = internes[rows[0]]
        held: dict[tuple[int, bool], bool] = {}
        for key, t in zip(keys, terrains, strict=True):
            if key not in held:
                held[key] = reach(instance, probe, t)[0] != "no"
        listed: set[int] = set()
        if relevance == "listed":
            # each list once: internes of one profile often share the same tuple
            lists = {id(voeux): voeux for voeux in (internes[r].voeux for r in rows)}
            listed = {kind_by_id[t] for voeux in lists.values() for t in voeux}
        choice[rows] = [held[key] and (not listed or key[0] in listed) for key in keys]
    return choice


def _padded_lists(instance: Instance) -> tuple[np.ndarray, np.ndarray]:
    """Current wish lists as terrain indices (``-1`` padding) and their lengths."""
    index_of = {t.id: k for k, t in enumerate(instance.terrains)}
    lengths = np.array([len(i.voeux) for i in instance.internes], dtype=np.int64)
    lists = np.full((len(lengths), max(int(lengths.max(initial=0)), 1)), -1, dtype=np.int64)
    for row, interne in enumerate(instance.internes):
        lists[row, : len(interne.voeux)] = [index_of[t] for t in interne.voeux]
    return lists, lengths


class _Fit:
    """Plackett–Luce MM iterations for :meth:`PreferenceModel.from_instance`."""

    def __init__(self, model: PreferenceModel, instance: Instance) -> None:
        self.model, self.instance = model, instance
        towns: dict[str, int] = {}
        town_of = np.array([towns.setdefault(t.ville, len(towns)) if t.ville else -1
                            for t in instance.terrains], dtype=np.int64)
        homes = _homes(model, instance, towns)
        lists, lengths = _padded_lists(instance)
        keep = lengths > 0
        self.lists, self.lengths = lists[keep], lengths[keep]
        choice = _choice_sets(instance, model.relevance)[keep]
        rows = np.arange(len(self.lists))[:, None]
        self.valid = np.arange(self.lists.shape[1])[None, :] < self.lengths[:, None]
        safe = np.where(self.valid, self.lists, 0)
        choice[np.broadcast_to(rows, safe.shape)[self.valid], safe[self.valid]] = True
        home_match = (town_of[None, :] == homes[keep][:, None]) & (town_of[None, :] >= 0)
        mult = np.where(home_match, math.exp(model.town_bonus / model.noise), 1.0)
        weights = choice * mult  # A[i, t] = m_it · [t open to i]
        self.unique_weights, self.row_kind = np.unique(weights, axis=0, return_inverse=True)
        self.row_kind = self.row_kind.reshape(-1)
        self.m_listed = np.where(self.valid, np.take_along_axis(mult, safe, axis=1), 0.0)
        self.safe = safe
        self.n_terrains = len(instance.terrains)
        self.picks = self.lists[self.valid]
        self.wins = np.bincount(self.picks, minlength=self.n_terrains)
        self.last = self.lengths - 1

    def maximise(self, prior: float, max_iterations: int, tolerance: float) -> np.ndarray:
        """Log worths at the MAP: MM steps (Hunter 2004; Gamma prior of Caron & Doucet 2012)
        accelerated by SQUAREM (Varadhan & Roland 2008), falling back to the plain MM step
        whenever the extrapolation lowers the log posterior."""
        theta = np.zeros(self.n_terrains)
        if not len(self.lists):
            return theta
        iterations = 0
        while iterations < max_iterations:
            theta1, start = self.step(theta, prior)
            theta2, _ = self.step(theta1, prior)
            iterations += 2
            r = theta1 - theta
            v = theta2 - theta1 - r
            norm_v = float(np.sqrt(v @ v))
            alpha = -float(np.sqrt(r @ r)) / norm_v if norm_v > 0 else -1.0
            alpha = min(alpha, -1.0)
            jump = theta - 2 * alpha * r + alpha**2 * v
            landed, value = self.step(jump, prior)
            iterations += 1
            if not (np.isfinite(value) and value >= start and np.all(np.isfinite(landed))):
                landed = theta2
            change = float(np.max(np.abs(landed - theta)))
            theta = landed
            if change < tolerance:
                break
        return theta

    def step(self, theta: np.ndarray, prior: float) -> tuple[np.ndarray, float]:
        """One MM update of the log worths, and the log posterior at ``theta``."""
        w = np.exp(theta - theta.max())
        scale = theta.max()
        total = np.einsum("ij,j->i", self.unique_weights, w)[self.row_kind]
        chosen = self.m_listed * w[self.safe]
        removed = np.cumsum(chosen, axis=1) - chosen  # listed before this stage
        denominators = np.maximum(total[:, None] - removed, chosen)
        inverse = np.divide(1.0, denominators, out=np.zeros_like(chosen), where=self.valid)
        cumulative = np.cumsum(inverse, axis=1)
        at_end = np.take_along_axis(cumulative, self.last[:, None], axis=1)[:, 0]
        # a terrain open to i is in every stage's remaining set until i lists it
        overshoot = (self.m_listed * (at_end[:, None] - cumulative))[self.valid]
        per_kind = np.bincount(self.row_kind, weights=at_end, minlength=len(self.unique_weights))
        denom = np.einsum("ij,i->j", self.unique_weights, per_kind) - np.bincount(
            self.picks, weights=overshoot, minlength=self.n_terrains
        )
        # back to the unscaled worths: w_true = w · e^scale, D_true = D · e^scale
        true_w = np.exp(theta)
        log_post = float(
            np.sum(np.log(chosen[self.valid]))
            - np.sum(np.log(denominators[self.valid]))
            + prior * np.sum(theta)
            - prior * np.sum(true_w)
        )
        denom_true = np.maximum(denom, 0.0) * np.exp(-scale)
        new = np.log(self.wins + prior) - np.log(denom_true + prior)
        return new, log_post

    def attractiveness(self, theta: np.ndarray) -> dict[str, float]:
        centred = self.model.noise * (theta - theta.mean())
        return {t.id: float(v) for t, v in zip(self.instance.terrains, centred, strict=True)}


_NONE = np.zeros(0)
"""The utilities of a member who may list nothing."""


class _Sampler:
    """Everything about one (model, instance) that does not change between draws."""

    def __init__(
        self,
        model: PreferenceModel,
        instance: Instance,
        reference: Instance | None,
        known: frozenset[str] | None = None,
    ) -> None:
        self.model, self.instance = model, instance
        terrains = instance.terrains
        self.ids = [t.id for t in terrains]
        attractiveness = _attractiveness_vector(model, instance)
        towns: dict[str, int] = {}
        town_of = np.array([towns.setdefault(t.ville, len(towns)) if t.ville else -1
                            for t in terrains], dtype=np.int64)
        homes = _homes(model, instance, towns)
        home_match = (town_of[None, :] == homes[:, None]) & (town_of[None, :] >= 0)
        self.choice = _choice_sets(instance, model.relevance)
        base = attractiveness[None, :] + model.town_bonus * home_match
        self.base = np.where(self.choice, base, -np.inf)
        self.row_of = {interne.id: row for row, interne in enumerate(instance.internes)}
        self.postes = np.array([t.postes for t in terrains], dtype=np.int64)
        self.layout = _layout(instance, reference)
        self._what_to_draw(instance, known)

    def _what_to_draw(self, instance: Instance, known: frozenset[str] | None) -> None:
        """Which lists are redrawn, how long, and the groups of rows ranked together."""
        n = len(instance.internes)
        current = np.array([len(i.voeux) for i in instance.internes], dtype=np.int64)
        self.couple_length = 0
        if known is None:
            self.redrawn = np.ones(n, dtype=bool)
            self.couple_redrawn = [True] * len(instance.couples)
        else:
            self.redrawn = np.array([i.id not in known for i in instance.internes], dtype=bool)
            self.couple_redrawn = [
                any(m not in known for m in c.internes) for c in instance.couples
            ]
            for couple, redraw in zip(instance.couples, self.couple_redrawn, strict=True):
                if redraw:  # a couple's lists are known or guessed as a whole
                    self.redrawn[[self.row_of[m] for m in couple.internes]] = True
            lists = current[~self.redrawn]
            guess = int(np.median(lists)) if lists.size else self.choice.shape[1]
            current = np.where(self.redrawn & (current == 0), guess, current)
            joint = [len(c.voeux) for c, r in zip(instance.couples, self.couple_redrawn,
                                                  strict=True) if not r]
            self.couple_length = int(np.median(joint)) if joint else COUPLE_TOP**2
        self.lengths = np.minimum(current, self.choice.sum(axis=1))
        self.member_rows = {
            self.row_of[m]
            for c, redraw in zip(instance.couples, self.couple_redrawn, strict=True)
            if redraw and (c.voeux or self.couple_length)
            for m in c.internes
        }
        need = np.where(self.redrawn, self.lengths, 0)
        for row in self.member_rows:
            need[row] = max(need[row], COUPLE_TOP)
        groups: dict[bytes, list[int]] = {}
        for row in np.flatnonzero(need > 0).tolist():
            groups.setdefault(self.choice[row].tobytes(), []).append(row)
        self.groups = []
        for rows in groups.values():
            cols = np.flatnonzero(self.choice[rows[0]])
            k = min(int(need[rows].max()), len(cols))
            if k:
                self.groups.append((np.array(rows, dtype=np.int64), cols, k))
        self.top_width = max((k for _, _, k in self.groups), default=0)
        self.blocks = [self.base[np.ix_(rows, cols)] for rows, cols, _ in self.groups]

    def gumbel(self, rng: np.random.Generator, shape: tuple[int, int]) -> np.ndarray:
        """Gumbel(0, noise) = -noise · log(Exp(1)), in float32: a ranking needs no more
        precision, and this is the hot loop of a sweep."""
        noise = rng.standard_exponential(size=shape, dtype=np.float32)
        np.maximum(noise, np.float32(1e-30), out=noise)  # in place: the same values,
        np.log(noise, out=noise)  # two fewer arrays of internes × terrains
        noise *= np.float32(-self.model.noise)
        return noise

    def utilities(self, rng: np.random.Generator) -> np.ndarray:
        n, n_t = self.base.shape
        if self.layout is None:  # the reference's internes and terrains, in its order
            return self.base + self.gumbel(rng, (n_t, n)).T
        rows, cols, n_ref_internes, n_ref_terrains = self.layout
        main = self.gumbel(rng, (n_ref_terrains, n_ref_internes))  # terrain by terrain
        known_r, known_c = rows >= 0, cols >= 0
        new_terrains = self.gumbel(rng, (int(np.count_nonzero(~known_c)), n))
        new_internes = self.gumbel(rng, (int(np.count_nonzero(~known_r)), n_t))
        noise = np.empty((n, n_t), dtype=np.float32)
        noise[np.ix_(known_r, known_c)] = main[np.ix_(cols[known_c], rows[known_r])].T
        noise[np.ix_(~known_r, known_c)] = new_internes[:, known_c]
        noise[:, ~known_c] = new_terrains.T
        return self.base + noise

    def sample(self, rng: np.random.Generator) -> Instance:
        """One draw. Noise is drawn for every (interne, terrain) in the same layout whatever
        is kept, so a partial redraw and a full one share the noise of the redrawn internes;
        then each group of internes with one choice set ranks only its own terrains (the same
        order as ranking the whole row, whose other utilities are ``-inf``)."""
        n, n_t = self.base.shape
        if self.layout is None:
            noise_t = self.gumbel(rng, (n_t, n))  # terrain by terrain, as utilities() does

            def block(g: int, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
                return self.blocks[g] + noise_t.take(cols, axis=0).take(rows, axis=1).T
        else:
            utility = self.utilities(rng)

            def block(g: int, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
                return utility[np.ix_(rows, cols)]

        top = np.full((n, self.top_width), -1, dtype=np.int64)
        values: dict[int, np.ndarray] = {}  # couple members' utilities of their top wishes
        for g, (rows, cols, k) in enumerate(self.groups):
            sub = block(g, rows, cols)
            if k < len(cols):
                order = np.argpartition(-sub, k - 1, axis=1)[:, :k]
                ranked = np.take_along_axis(sub, order, axis=1)
                order = np.take_along_axis(order, np.argsort(-ranked, axis=1, kind="stable"),
                                           axis=1)
            else:
                order = np.argsort(-sub, axis=1, kind="stable")
            top[rows, : order.shape[1]] = cols[order]
            for local, row in self.members_in(rows):
                values[row] = np.take_along_axis(sub[local], order[local], axis=0)
        couples = tuple(
            self._couple(c, top, values) if redraw else c
            for c, redraw in zip(self.instance.couples, self.couple_redrawn, strict=True)
        )
        # the library's own values: the trusted path, checked in bulk (Instance._with_wishes)
        return self.instance._with_wishes(top, self.lengths, redrawn=self.redrawn,
                                          couples=couples)

    def members_in(self, rows: np.ndarray) -> list[tuple[int, int]]:
        """``(position in rows, row)`` of the redrawn couple members among ``rows``."""
        if not self.member_rows:
            return []
        return [(local, row) for local, row in enumerate(rows.tolist())
                if row in self.member_rows]

    def _couple(self, couple: Couple, top: np.ndarray, values: dict[int, np.ndarray]) -> Couple:
        """Pairs of the members' first wishes by summed utility (R-ORD-2)."""
        length = len(couple.voeux) or self.couple_length
        if not length:
            return couple
        a, b = (self.row_of[m] for m in couple.internes)
        tops = [
            [(k, float(v)) for k, v in zip(top[r, :COUPLE_TOP].tolist(),
                                            values.get(r, _NONE)[:COUPLE_TOP].tolist(),
                                            strict=False)
             if k >= 0]
            for r in (a, b)
        ]
        scored = sorted(
            (-(ua + ub), ta, tb)
            for ta, ua in tops[0]
            for tb, ub in tops[1]
            if ta != tb or self.postes[ta] >= 2
        )
        pairs = [(self.ids[ta], self.ids[tb]) for _, ta, tb in scored[:length]]
        return attrs.evolve(couple, voeux=pairs)


def _layout(
    instance: Instance, reference: Instance | None
) -> tuple[np.ndarray, np.ndarray, int, int] | None:
    """Where each interne and terrain of ``instance`` sits in ``reference`` (``-1``: not
    there); ``None`` when both have the same ids in the same order."""
    if reference is None or reference is instance:
        return None
    ref_i = {interne.id: k for k, interne in enumerate(reference.internes)}
    ref_t = {terrain.id: k for k, terrain in enumerate(reference.terrains)}
    rows = np.array([ref_i.get(i.id, -1) for i in instance.internes], dtype=np.int64)
    cols = np.array([ref_t.get(t.id, -1) for t in instance.terrains], dtype=np.int64)
    if (
        len(rows) == len(ref_i) and len(cols) == len(ref_t)
        and np.array_equal(rows, np.arange(len(rows)))
        and np.array_equal(cols, np.arange(len(cols)))
    ):
        return None
    return rows, cols, len(ref_i), len(ref_t)


def _attractiveness_vector(model: PreferenceModel, instance: Instance) -> np.ndarray:
    """Attractiveness per terrain of ``instance``; unknown terrains get the mean of their
    kind (same categories), else 0."""
    known: dict[frozenset[str], list[float]] = {}
    for terrain in instance.terrains:
        if terrain.id in model.attractiveness:
            known.setdefault(terrain.category_set, []).append(model.attractiveness[terrain.id])
    values = []
    for terrain in instance.terrains:
        value = model.attractiveness.get(terrain.id)
        if value is None:
            same_kind = known.get(terrain.category_set)
            value = sum(same_kind) / len(same_kind) if same_kind else 0.0
        values.append(value)
    return np.array(values, dtype=float)


@lru_cache(maxsize=16)
def _sampler(
    model: PreferenceModel,
    instance: Instance,
    reference: Instance | None,
    known: frozenset[str] | None = None,
) -> _Sampler:
    return _Sampler(model, instance, reference, known)
