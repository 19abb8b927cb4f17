-- An unknown person across scripts: the person of the corpus that another reading of its family name names. The linker
-- gives a person nobody listed an id made of the sound key of its family name; a Cyrillic spelling's key is sure
-- (letter by letter), a Latin or Arabic spelling's is a sound model's first reading, and the linker writes the ids of
-- the model's other readings (within a margin) in mentions.alt_ids. One row per unknown Latin or Arabic person id with
-- other readings or a reverse candidate: its script (the surest script that names it: 0 Cyrillic, 1 Latin, 2 Arabic),
-- the candidates (those other ids that a person of a surer script has, and that no spelling of its own script reads
-- first), and person_id, the candidate when there is exactly one; null when the person's own id is named in a surer
-- script already, or when there is none or several. Same given initial or none, as the ids hold it; a family name alone
-- may also take the family id of a full name of a surer script (mentions.family_id), which stg_families then resolves.
-- Failing a candidate, a person takes the one person of the next surer script one of whose other readings is its id and
-- whose id no spelling of its own script reads first (reverse_candidates): an Arabic person a Latin one (both are
-- readings of sound models, and the Latin model's first reading is the one that misses more often), a Latin person a
-- Cyrillic one (a Cyrillic spelling's other readings are the keys the Latin model would give its Latin spellings,
-- link-2.6). Failing both, a person takes the one person of the next surer script that shares a skeleton id with it
-- (the s: entries of alt_ids, link-2.7: the consonant skeleton of a family key, of at least four letters, and the
-- given initial; an Arabic spelling's readings' skeletons too, link-2.8: a Latin person takes a Cyrillic one, an
-- Arabic person a Latin one), whose id no spelling of its own script names (skeleton_matches), and that no other
-- person takes so. Computed from the mentions loaded (docs/ENTITIES.md, "An unknown person across scripts").
create or replace view stg_alt_ids as
with per_mentions as (  -- the unknown persons' mentions, each distinct surface once (a regex per surface, not per mention)
    select entity_id, family_id, alt_ids, surface
    from mentions
    where label = 'PER' and (entity_id like 'u:%' or family_id like 'u:%')
    group by all
),
surfaces as (
    select
        *,
        case
            when regexp_matches(surface, '\p{Cyrillic}') then 0
            when regexp_matches(surface, '\p{Arabic}') then 2
            else 1
        end as script
    from per_mentions
),
persons as (
    select distinct entity_id, alt_ids, script from surfaces where entity_id like 'u:%'
),
script_ids as (  -- ids that a script names: the persons', and the family ids of full names (for a family name alone)
    select distinct entity_id, script from persons
    union
    select distinct family_id as entity_id, script from surfaces where family_id like 'u:%'
),
ranked as (  -- each id and the scripts that name it
    select entity_id, min(script) as script, list_distinct(list(script)) as scripts
    from script_ids
    group by entity_id
),
readings as (  -- the other readings of the person's spellings in its surest script (a Cyrillic one's: towards Latin)
    select distinct p.entity_id, r.script, a.alt_id
    from persons as p
    join ranked as r on r.entity_id = p.entity_id and r.script = p.script
    cross join unnest(p.alt_ids) as a (alt_id)
    where p.alt_ids is not null and a.alt_id not like 's:%'
),
skeletons as (  -- the skeleton ids of the person's spellings in its surest script
    select distinct p.entity_id, r.script, a.alt_id as skeleton_id
    from persons as p
    join ranked as r on r.entity_id = p.entity_id and r.script = p.script
    cross join unnest(p.alt_ids) as a (alt_id)
    where p.alt_ids is not null and a.alt_id like 's:%'
),
candidates as (  -- another reading of the person that a surer script names, and no spelling of its own reads first
    select g.entity_id, g.script, g.alt_id
    from readings as g
    join ranked as t on t.entity_id = g.alt_id
    where t.script < g.script and not list_contains(t.scripts, g.script)
),
reverse as (  -- a person of the next surer script one of whose other readings is this person's id: Arabic ->
    -- Latin, Latin -> Cyrillic
    select distinct t.entity_id, t.script, g.entity_id as alt_id
    from readings as g
    join ranked as t on t.entity_id = g.alt_id
    join ranked as r on r.entity_id = g.entity_id
    where
        t.script = g.script + 1
        and not list_contains(r.scripts, t.script)
        and t.entity_id in (select entity_id from persons where script = t.script)
),
skeleton_matches as (  -- a person of the next surer script with a skeleton id in common, whose id this script
    -- does not name
    select distinct g.entity_id, g.script, t.entity_id as alt_id
    from skeletons as g
    join skeletons as t on t.skeleton_id = g.skeleton_id and t.script = g.script - 1
    join ranked as tr on tr.entity_id = t.entity_id
    where not list_contains(tr.scripts, g.script)
),
people as (  -- a Cyrillic person's readings only ever serve others (reverse, skeleton_matches): no row of its own
    select entity_id, script from readings where script > 0
    union
    select entity_id, script from reverse
    union
    select entity_id, script from skeleton_matches
),
per_person as (
    select
        g.entity_id,
        g.script,
        coalesce(list_sort(list_distinct(list(c.alt_id) filter (where c.alt_id is not null))), []) as candidates,
        coalesce(list_sort(list_distinct(list(v.alt_id) filter (where v.alt_id is not null))), [])
            as reverse_candidates,
        coalesce(list_sort(list_distinct(list(s.alt_id) filter (where s.alt_id is not null))), [])
            as skeleton_candidates
    from people as g
    left join candidates as c using (entity_id, script)
    left join reverse as v using (entity_id, script)
    left join skeleton_matches as s using (entity_id, script)
    group by g.entity_id, g.script
),
by_skeleton as (  -- the one person of the next surer script a person's skeleton ids name, when nothing else does
    select
        *,
        case
            when len(candidates) = 0 and len(reverse_candidates) = 0 and len(skeleton_candidates) = 1
                then skeleton_candidates[1]
        end as skeleton_person
    from per_person
),
takers as (  -- ... taken only when no other person takes it so
    select *, count(skeleton_person) over (partition by skeleton_person) as n_takers from by_skeleton
)
select
    entity_id,
    script,
    case
        when len(candidates) = 1 then candidates[1]
        when len(candidates) = 0 and len(reverse_candidates) = 1 then reverse_candidates[1]
        when n_takers = 1 then skeleton_person
    end as person_id,
    len(candidates) as n_candidates,
    candidates,
    reverse_candidates,
    skeleton_candidates
from takers
