{{ config(severity="warn") }}
-- A unit has at most one live (not cancelled) sale: what CVCRM says, so a warning.
select
    conta,
    idunidade,
    count(*) as vendas_vigentes
from {{ ref('vendas') }}
where not is_distrato and idunidade is not null
group by conta, idunidade
having count(*) > 1
