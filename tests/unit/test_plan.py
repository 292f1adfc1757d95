import numpy as np
import pytest
from geopy.distance import great_circle
from hypothesis import given, settings
from hypothesis import strategies as st

from rendezvous.geo.meeting_point import EARTH_RADIUS_KM, geometric_median, minimax_centre
from rendezvous.geo.meeting_point.plan import MIN_PEOPLE_FOR_CENTRE, OptionPlan, PlaceScore, plan

UK = [
    (51.5074, -0.1278),
    (53.8008, -1.5491),
    (55.8642, -4.2518),
    (51.4816, -3.1791),
    (52.6309, 1.2974),
    (50.3755, -4.1427),
]  # London Leeds Glasgow Cardiff Norwich Plymouth
UK_PLACES = [(52.4862, -1.8904), (53.4808, -2.2426), (51.4545, -2.5879), (52.2053, 0.1218)]
EUROPE = [
    (38.7223, -9.1393),
    (52.5200, 13.4050),
    (41.9028, 12.4964),
    (59.3293, 18.0686),
    (52.2297, 21.0122),
]  # Lisbon Berlin Rome Stockholm Warsaw
EUROPE_PLACES = [(48.8566, 2.3522), (50.0755, 14.4378), (48.2082, 16.3738), (46.9480, 7.4474)]
PACIFIC = [
    (-36.8485, 174.7633),
    (21.3069, -157.8583),
    (34.0522, -118.2437),
    (35.6762, 139.6503),
]  # Auckland Honolulu Los Angeles Tokyo
PACIFIC_PLACES = [
    (-18.1248, 178.4501),
    (-13.8507, -171.7514),
    (7.0897, 171.3803),
    (-21.1394, -175.2049),
    (-8.5211, 179.1983),
    (0.0, 180.0),
    (0.0, -180.0),
]  # Suva Apia Majuro Nuku'alofa Funafuti, and the antimeridian written both ways
TOKYO = (35.6762, 139.6503)


def columns(points):
    return [p[0] for p in points], [p[1] for p in points]


# --- the brute force: one geopy distance per pair, Python loops, tuples sorted ------------------


def brute_force(members, yes, places, strategy):
    """(participants, [(total_km, max_km, place)...] best first) per option."""
    options = []
    for row in yes:
        who = [member for member, voted in zip(members, row, strict=True) if voted]
        scores = []
        for index, place in enumerate(places):
            journeys = [great_circle(place, m, radius=EARTH_RADIUS_KM).km for m in who]
            scores.append((sum(journeys), max(journeys, default=0.0), index))

        def key(score, strategy=strategy):
            total, longest, index = round(score[0], 6), round(score[1], 6), score[2]
            return (total, longest, index) if strategy == "total" else (longest, total, index)

        options.append((len(who), sorted(scores, key=key)))
    return options


def assert_matches_brute_force(members, yes, places, strategy) -> tuple[OptionPlan, ...]:
    yes = np.asarray(yes, dtype=bool).reshape(len(yes), len(members))
    plans = plan(*columns(members), yes, *columns(places), strategy)
    expected = brute_force(members, yes, places, strategy)
    assert len(plans) == len(expected)
    for option, (participants, scores) in zip(plans, expected, strict=True):
        assert option.participants == participants
        assert [s.place for s in option.places] == [index for _, _, index in scores]
        assert [s.total_km for s in option.places] == pytest.approx(
            [total for total, _, _ in scores], abs=1e-6
        )
        assert [s.max_km for s in option.places] == pytest.approx(
            [longest for _, longest, _ in scores], abs=1e-6
        )
        assert (option.centre is None) == (participants < MIN_PEOPLE_FOR_CENTRE)
    return plans


@pytest.mark.parametrize("strategy", ["total", "fair"])
@pytest.mark.parametrize(
    ("members", "places"),
    [(UK, UK_PLACES), (EUROPE, EUROPE_PLACES), (PACIFIC, PACIFIC_PLACES), (UK, EUROPE_PLACES)],
    ids=["uk", "europe", "pacific", "uk-to-europe"],
)
def test_plans_match_a_plain_python_ranking(members, places, strategy) -> None:
    rng = np.random.default_rng(len(members) + len(places))
    yes = rng.random((5, len(members))) < 0.6
    yes[0] = True  # everyone
    yes[1] = False  # no one
    assert_matches_brute_force(members, yes, places, strategy)


def test_the_pacific_plan_ranks_across_the_antimeridian() -> None:
    plans = assert_matches_brute_force(PACIFIC, [[True] * 4], PACIFIC_PLACES, "total")
    scores = {s.place: s for s in plans[0].places}
    # 180 and -180 are one meridian: the two spellings score the same and keep their order
    assert scores[5].total_km == pytest.approx(scores[6].total_km, abs=1e-9)
    order = [s.place for s in plans[0].places]
    assert order.index(5) + 1 == order.index(6)
    centre = plans[0].centre
    assert centre is not None
    assert abs(centre[1]) > 120  # in the Pacific, not across Eurasia and the Americas


def test_near_antipodal_journeys_stay_accurate() -> None:
    # Squared chords to the antipode lose ~1e-5 km here if worked out as 4 - |a - b|^2.
    members = [(0.0, 0.0), (0.0, 180.0), (-45.0, -135.0)]
    places = [(0.0, 1e-5), (45.0, 45.0 + 1e-7), (1e-6, -180.0)]
    assert_matches_brute_force(members, np.eye(3, dtype=bool), places, "total")
    assert_matches_brute_force(members, np.eye(3, dtype=bool), places, "fair")


coordinates = st.tuples(
    st.floats(-90, 90),
    st.one_of(st.floats(-180, 180), st.floats(170, 180), st.floats(-180, -170)),
)


@st.composite
def polls(draw):
    members = draw(st.lists(coordinates, max_size=8))
    places = draw(st.lists(coordinates, max_size=6))
    options = draw(st.integers(0, 4))
    votes = st.lists(st.booleans(), min_size=len(members), max_size=len(members))
    yes = draw(st.lists(votes, min_size=options, max_size=options))
    return members, np.array(yes, dtype=bool).reshape(options, len(members)), places


@settings(max_examples=100, deadline=None)
@given(polls(), st.sampled_from(["total", "fair"]))
def test_random_plans_match_a_plain_python_ranking(poll, strategy) -> None:
    assert_matches_brute_force(*poll, strategy)


@settings(max_examples=50, deadline=None)
@given(st.integers(0, 2**32 - 1), st.sampled_from(["total", "fair"]))
def test_random_regional_plans_match_a_plain_python_ranking(seed, strategy) -> None:
    # Members and places a few hundred km apart, where the places' scores lie close together.
    rng = np.random.default_rng(seed)
    centre_lat, centre_lon = rng.uniform(-60, 60), rng.uniform(-180, 180)

    def around(n):
        lats = centre_lat + rng.uniform(-3, 3, n)
        lons = (centre_lon + rng.uniform(-3, 3, n) + 180) % 360 - 180
        return list(zip(lats.tolist(), lons.tolist(), strict=True))

    members, places = around(int(rng.integers(1, 12))), around(int(rng.integers(1, 10)))
    yes = rng.random((3, len(members))) < 0.5
    assert_matches_brute_force(members, yes, places, strategy)


# --- privacy, ties and who counts ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("strategy", "solver"), [("total", geometric_median), ("fair", minimax_centre)]
)
def test_a_centre_needs_three_participants(strategy, solver) -> None:
    members = UK[:4]
    yes = [[True, False, True, False], [True, True, False, True], [False] * 4, [True] * 4]
    plans = plan(*columns(members), yes, *columns(UK_PLACES), strategy)
    assert [p.participants for p in plans] == [2, 3, 0, 4]
    assert plans[0].centre is None
    assert plans[2].centre is None
    three = [members[0], members[1], members[3]]
    expected = solver(*columns(three))
    assert plans[1].centre == (expected.latitude, expected.longitude)
    expected = solver(*columns(members))
    assert plans[3].centre == (expected.latitude, expected.longitude)


def test_equal_places_keep_their_order_and_the_secondary_objective_breaks_ties() -> None:
    # Two members 1 degree apart on the equator: every place between them ties on total.
    members = ([0.0, 0.0], [0.0, 1.0])
    places = ([0.0, 0.0, 0.0], [0.1, 0.5, 0.5])  # 1 and 2 are the same place
    (option,) = plan(*members, [[True, True]], *places, "total")
    assert [s.place for s in option.places] == [1, 2, 0]  # fairer first, then by index
    assert option.places[0] == PlaceScore(1, option.places[1].total_km, option.places[1].max_km)
    # Three members at 0, 0.2 and 1 degrees: places at -1 and 2 are both 2 degrees from the
    # farthest, but -1 costs less in total.
    members = ([0.0, 0.0, 0.0], [0.0, 0.2, 1.0])
    (option,) = plan(*members, [[True] * 3], [0.0, 0.0], [2.0, -1.0], "fair")
    assert option.places[0].max_km == pytest.approx(option.places[1].max_km, abs=1e-9)
    assert [s.place for s in option.places] == [1, 0]
    # Mirror images tie on both objectives: the index decides.
    (option,) = plan(*members, [[True] * 3], [5.0, -5.0], [0.5, 0.5], "fair")
    assert [s.place for s in option.places] == [0, 1]


def test_a_member_counts_only_on_the_options_they_voted_yes_on() -> None:
    members = [*UK[:3], TOKYO]
    yes = [[True, True, True, False], [True, True, True, True]]
    without, with_tokyo = plan(*columns(members), yes, *columns(UK_PLACES), "fair")
    (uk_only,) = plan(*columns(UK[:3]), [[True] * 3], *columns(UK_PLACES), "fair")
    assert without == uk_only
    assert with_tokyo.participants == 4
    assert all(s.max_km > 9000 for s in with_tokyo.places)
    assert with_tokyo.centre is not None
    assert with_tokyo.centre[1] > 40  # the smallest cap holding Tokyo too is centred in Asia


def test_no_participants_scores_every_place_zero_in_index_order() -> None:
    (option,) = plan(*columns(UK), [[False] * len(UK)], *columns(UK_PLACES), "fair")
    assert option == OptionPlan(
        participants=0,
        centre=None,
        places=tuple(PlaceScore(i, 0.0, 0.0) for i in range(len(UK_PLACES))),
    )


def test_empty_members_options_and_places() -> None:
    no_members = plan([], [], np.zeros((2, 0), dtype=bool), *columns(UK_PLACES), "total")
    assert [p.participants for p in no_members] == [0, 0]
    assert [s.place for s in no_members[0].places] == [0, 1, 2, 3]
    assert plan(*columns(UK), np.zeros((0, len(UK)), dtype=bool), [], [], "fair") == ()
    (no_places,) = plan(*columns(UK), [[True] * len(UK)], [], [], "total")
    assert no_places.participants == len(UK)
    assert no_places.places == ()
    assert no_places.centre is not None


def test_scores_are_plain_floats() -> None:
    (option,) = plan(*columns(UK), [[True] * len(UK)], *columns(UK_PLACES), "total")
    assert option.centre is not None
    assert all(type(x) is float for x in option.centre)
    assert all(type(s.total_km) is float and type(s.max_km) is float for s in option.places)
    assert all(type(s.place) is int for s in option.places)


@pytest.mark.parametrize(
    "args",
    [
        ([1.0, 2.0], [1.0], [[True, True]], [1.0], [1.0], "total"),  # member arrays differ
        ([[1.0]], [[1.0]], [[True]], [1.0], [1.0], "total"),  # not 1-D
        ([1.0], [1.0], [[True]], [1.0, 2.0], [1.0], "total"),  # place arrays differ
        ([1.0], [1.0], [[True, False]], [1.0], [1.0], "total"),  # a vote per member
        ([1.0], [1.0], [True], [1.0], [1.0], "total"),  # yes must be options x members
        ([1.0], [1.0], [[2]], [1.0], [1.0], "total"),  # yes holds booleans
        ([90.5], [1.0], [[True]], [1.0], [1.0], "total"),
        ([1.0], [180.5], [[True]], [1.0], [1.0], "total"),
        ([1.0], [1.0], [[True]], [-90.5], [1.0], "total"),
        ([1.0], [1.0], [[True]], [1.0], [-181.0], "fair"),
        ([float("nan")], [1.0], [[True]], [1.0], [1.0], "fair"),
        ([1.0], [1.0], [[True]], [1.0], [float("inf")], "fair"),
        ([1.0], [1.0], [[True]], [1.0], [1.0], "nearest"),
    ],
)
def test_bad_input_is_a_value_error(args) -> None:
    with pytest.raises(ValueError):
        plan(*args)
