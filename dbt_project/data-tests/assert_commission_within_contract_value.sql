{{ config(severity='warn') }}
-- A commission above its contract value is suspicious but can be what CVDW says: warn.
select
    idcomissao,
    valor_comissao,
    valor_contrato
from {{ ref('comissoes') }}
where valor_comissao > valor_contrato
