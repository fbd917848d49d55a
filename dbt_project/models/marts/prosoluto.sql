with

vendas as (

    select * from {{ ref('int_vendas_consolidadas') }}

),

condicoes as (

    select * from {{ ref('stg_cvdw__reservas_condicoes') }}
    where is_ativo

),

serie_classes as (

    select
        lower(trim(serie)) as serie_normalizada,
        classe
    from {{ ref('serie_classes') }}

),

prosoluto_por_reserva as (

    select
        condicoes.conta,
        condicoes.idreserva,
        sum(condicoes.valor) as valor_prosoluto
    from condicoes
    inner join serie_classes
        on lower(trim(condicoes.serie)) = serie_classes.serie_normalizada
    where serie_classes.classe = 'prosoluto'
    group by condicoes.conta, condicoes.idreserva

),

final as (

    select
        vendas.conta,
        vendas.idreserva,
        round(vendas.valor_contrato, 2)::numeric(18, 2) as valor_contrato,
        round(coalesce(prosoluto_por_reserva.valor_prosoluto, 0), 2)::numeric(18, 2)
            as valor_prosoluto,
        case
            when vendas.valor_contrato > 0
                then round(coalesce(prosoluto_por_reserva.valor_prosoluto, 0) / vendas.valor_contrato, 6)
        end::numeric(12, 6) as pct_prosoluto
    from vendas
    left join prosoluto_por_reserva
        on
            vendas.conta = prosoluto_por_reserva.conta
            and vendas.idreserva = prosoluto_por_reserva.idreserva

)

select * from final
