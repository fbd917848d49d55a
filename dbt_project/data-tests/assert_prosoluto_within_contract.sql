{{ config(severity='warn') }}
-- Payment conditions never finance more than the contract: pró-soluto ≤ contract value.
select
    idreserva,
    valor_prosoluto,
    valor_contrato
from {{ ref('prosoluto') }}
where valor_prosoluto > valor_contrato + 0.01
