-- One row per unit with its table price in force on as_of: the active `/unidades/precos` rows
-- with a price whose vigência covers as_of (both ends inclusive, an empty end open); when
-- several tables cover it, the one that started last, then the lowest `idtabela`. A unit no
-- price row covers keeps the value of `/unidades`.
with

unidades as (

    select * from {{ ref('stg_cvdw__unidades') }}

),

precos_em_vigor as (

    select * from {{ ref('stg_cvdw__unidades_precos') }}
    where
        is_ativo
        and valor is not null
        and data_vigencia_de <= {{ as_of_date() }}
        and (data_vigencia_ate is null or {{ as_of_date() }} <= data_vigencia_ate)

),

preco_da_unidade as (

    select distinct on (conta, idunidade)
        conta,
        idunidade,
        idtabela,
        tabela,
        valor
    from precos_em_vigor
    order by conta asc, idunidade asc, data_vigencia_de desc, idtabela asc nulls last, referencia asc

),

final as (

    select
        unidades.conta,
        unidades.idunidade,
        unidades.idunidade_int,
        preco_da_unidade.idtabela,
        preco_da_unidade.tabela,
        coalesce(preco_da_unidade.valor, unidades.valor) as valor_tabela,
        preco_da_unidade.idunidade is not null as is_preco_de_tabela
    from unidades
    left join preco_da_unidade
        on
            unidades.conta = preco_da_unidade.conta
            and unidades.idunidade_int = preco_da_unidade.idunidade

)

select * from final
