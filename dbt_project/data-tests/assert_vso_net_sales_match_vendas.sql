-- Net sales in `vso`, summed over all months of a development, equal its sales in `vendas`
-- up to the as_of month minus its distratos up to that month (all of them, in a complete world:
-- then it is the count of non-cancelled sales).
with

vso as (

    select
        conta,
        idempreendimento,
        sum(vendas_liquidas) as vendas_liquidas
    from {{ ref('vso') }}
    group by conta, idempreendimento

),

vendas as (

    select
        conta,
        idempreendimento,
        count(*) filter (
            where date_trunc('month', data_venda) <= date_trunc('month', {{ as_of_date() }})
        )
        - count(*) filter (
            where is_distrato
            and date_trunc('month', data_distrato) <= date_trunc('month', {{ as_of_date() }})
        ) as vendas_liquidas
    from {{ ref('vendas') }}
    group by conta, idempreendimento

)

select
    coalesce(vso.conta, vendas.conta) as conta,
    coalesce(vso.idempreendimento, vendas.idempreendimento) as idempreendimento,
    vso.vendas_liquidas as vso_vendas_liquidas,
    vendas.vendas_liquidas as vendas_vendas_liquidas
from vso
full outer join vendas
    on vso.conta = vendas.conta and vso.idempreendimento = vendas.idempreendimento
where coalesce(vso.vendas_liquidas, 0) <> coalesce(vendas.vendas_liquidas, 0)
