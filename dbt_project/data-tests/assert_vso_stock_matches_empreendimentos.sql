-- The stock at the end of the last `vso` month equals the stock `empreendimentos` reports.
with

ultimo_mes as (

    select distinct on (conta, idempreendimento)
        conta,
        idempreendimento,
        estoque_inicial + lancamentos - vendas_liquidas as estoque_final
    from {{ ref('vso') }}
    order by conta, idempreendimento, mes desc

)

select
    ultimo_mes.conta,
    ultimo_mes.idempreendimento,
    ultimo_mes.estoque_final,
    empreendimentos.unidades_estoque
from ultimo_mes
inner join {{ ref('empreendimentos') }} as empreendimentos
    on
        ultimo_mes.conta = empreendimentos.conta
        and ultimo_mes.idempreendimento = empreendimentos.idempreendimento
where ultimo_mes.estoque_final <> empreendimentos.unidades_estoque
