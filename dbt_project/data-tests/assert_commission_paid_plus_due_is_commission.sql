{{ config(severity='warn') }}
-- What was paid plus what is still due makes the commission (to the cent).
select
    idcomissao,
    valor_comissao,
    valor_pago,
    valor_a_pagar
from {{ ref('comissoes') }}
where abs(valor_pago + valor_a_pagar - valor_comissao) > 0.01
