{{ config(severity='warn') }}
-- A payment series the seed `serie_classes` does not know is left out of pró-soluto: add it.
select distinct condicoes.serie
from {{ ref('stg_cvdw__reservas_condicoes') }} as condicoes
left join {{ ref('serie_classes') }} as serie_classes
    on lower(trim(condicoes.serie)) = lower(trim(serie_classes.serie))
where condicoes.serie is not null and serie_classes.serie is null
