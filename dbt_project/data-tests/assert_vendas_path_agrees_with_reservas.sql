{{ config(severity='warn') }}
-- Sales are derived from reservations; CVDW's own /vendas should list the same active sales.
select
    coalesce(vendas.idreserva, api.idreserva) as idreserva,
    vendas.idreserva is null as falta_em_vendas,
    api.idreserva is null as falta_em_api_vendas
from {{ ref('vendas') }} as vendas
full outer join (
    select idreserva from {{ ref('stg_cvdw__vendas') }} where is_ativo
) as api on vendas.idreserva = api.idreserva
where vendas.idreserva is null or api.idreserva is null
