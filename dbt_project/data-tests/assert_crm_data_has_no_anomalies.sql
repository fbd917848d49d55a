{{ config(severity='warn') }}
-- What CVCRM holds and we cannot fix here (negative amounts, percentages of 6.000, references
-- to rows we do not have, the two sale paths disagreeing): warn; the Dados page lists them.
select
    anomalia,
    count(*) as registros
from {{ ref('anomalias') }}
group by anomalia
