-- A unit has at most one live (not cancelled) sale.
select
    idunidade,
    count(*) as vendas_vigentes
from {{ ref('vendas') }}
where not is_distrato and idunidade is not null
group by idunidade
having count(*) > 1
