-- One row per anomaly and record: what CVCRM holds that a figure should not silently absorb.
-- The rows stay in the marts (flagged); this list tells the commercial team what to fix in CVCRM.
with

comissoes as (

    select * from {{ ref('comissoes') }}

),

vendas as (

    select * from {{ ref('vendas') }}

),

reservas as (

    select * from {{ ref('stg_cvdw__reservas') }}

),

vendas_api as (

    select * from {{ ref('stg_cvdw__vendas') }}
    where is_ativo and data_venda is not null

),

-- an account whose /reservas or /vendas is empty has not loaded it: that is no disagreement
contas_com_reservas as (

    select distinct conta from reservas

),

contas_com_vendas as (

    select distinct conta from vendas_api

),

comissoes_valor_negativo as (

    select
        conta,
        'comissao_valor_negativo' as anomalia,
        'Comissão com valor, valor pago ou valor a pagar negativo' as descricao,
        'comissoes' as caminho,
        idcomissao::text as id_registro,
        concat_ws(
            '; ', 'valor ' || valor_comissao, 'pago ' || valor_pago, 'a pagar ' || valor_a_pagar
        ) as detalhe
    from comissoes
    where valor_comissao < 0 or valor_pago < 0 or valor_a_pagar < 0

),

comissoes_percentual as (

    select
        conta,
        'comissao_percentual_fora_da_faixa' as anomalia,
        'Comissão com percentual fora de 0% a 100%' as descricao,
        'comissoes' as caminho,
        idcomissao::text as id_registro,
        porcentagem_comissao || '%' as detalhe
    from comissoes
    where porcentagem_comissao not between 0 and 100

),

comissoes_sem_reserva as (

    select
        comissoes.conta,
        'comissao_sem_reserva' as anomalia,
        'Comissão de uma reserva que não está entre as reservas nem as vendas carregadas'
            as descricao,
        'comissoes' as caminho,
        comissoes.idcomissao::text as id_registro,
        'idreserva ' || comissoes.idreserva as detalhe
    from comissoes
    left join reservas
        on comissoes.conta = reservas.conta and comissoes.idreserva = reservas.idreserva
    left join vendas
        on comissoes.conta = vendas.conta and comissoes.idreserva = vendas.idreserva
    where reservas.idreserva is null and vendas.idreserva is null

),

vendas_ausentes_em_reservas as (

    select
        vendas.conta,
        'venda_ausente_em_reservas' as anomalia,
        'Venda listada em /vendas cuja reserva não está em /reservas' as descricao,
        'reservas' as caminho,
        vendas.idreserva::text as id_registro,
        'data da venda ' || to_char(vendas.data_venda, 'DD/MM/YYYY') as detalhe
    from vendas
    inner join contas_com_reservas on vendas.conta = contas_com_reservas.conta
    where vendas.is_ausente_em_reservas

),

vendas_ausentes_em_vendas as (

    select
        vendas.conta,
        'venda_ausente_em_vendas' as anomalia,
        'Venda em /reservas (com data de venda) que /vendas não lista' as descricao,
        'vendas' as caminho,
        vendas.idreserva::text as id_registro,
        'data da venda ' || to_char(vendas.data_venda, 'DD/MM/YYYY') as detalhe
    from vendas
    inner join contas_com_vendas on vendas.conta = contas_com_vendas.conta
    left join vendas_api
        on vendas.conta = vendas_api.conta and vendas.idreserva = vendas_api.idreserva
    where vendas_api.idreserva is null

),

vendas_valor_negativo as (

    select
        conta,
        'venda_valor_negativo' as anomalia,
        'Venda com valor de contrato negativo' as descricao,
        'reservas' as caminho,
        idreserva::text as id_registro,
        'valor do contrato ' || valor_contrato as detalhe
    from vendas
    where valor_contrato < 0

),

final as (

    select * from comissoes_valor_negativo
    union all
    select * from comissoes_percentual
    union all
    select * from comissoes_sem_reserva
    union all
    select * from vendas_ausentes_em_reservas
    union all
    select * from vendas_ausentes_em_vendas
    union all
    select * from vendas_valor_negativo

)

select * from final
