-- Each stage number has one label in the seed `repasse_etapas`, or the pipeline would show one
-- stage as two.
select
    ordem,
    count(distinct etapa) as rotulos
from {{ ref('repasse_etapas') }}
group by ordem
having count(distinct etapa) > 1
