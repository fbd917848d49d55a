-- One row per unit with the month it was launched: its release month or, when it has no
-- release date, its development's first month.
with

unidades as (

    select * from {{ ref('stg_cvdw__unidades') }}

),

empreendimentos as (

    select * from {{ ref('int_empreendimentos') }}

),

final as (

    select
        unidades.conta,
        unidades.idunidade,
        unidades.idunidade_int,
        unidades.idempreendimento,
        unidades.liberar_a_partir,
        coalesce(
            date_trunc('month', unidades.liberar_a_partir)::date,
            empreendimentos.primeiro_mes
        ) as mes_lancamento
    from unidades
    left join empreendimentos
        on
            unidades.conta = empreendimentos.conta
            and unidades.idempreendimento = empreendimentos.idempreendimento

)

select * from final
