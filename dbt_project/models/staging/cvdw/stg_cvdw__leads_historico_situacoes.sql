-- One row per situation change of a lead (`idhistorico`): from `de_nome` to `para_nome` at
-- `data_cad`. The seed `funil_situacoes` says which funnel stage each name means.
with

source as (

    {{ cvdw_source('leads_historico_situacoes') }}

),

renamed as (

    select
        conta,
        idhistorico,
        {{ cvdw_id('idlead') }} as idlead,
        {{ cvdw_timestamp('data_cad') }} as data_cad,
        {{ cvdw_text('de') }} as idsituacao_de,
        {{ cvdw_text('para') }} as idsituacao_para,
        {{ cvdw_text('de_nome') }} as de_nome,
        {{ cvdw_text('para_nome') }} as para_nome,
        coalesce({{ cvdw_bool('ativo') }}, true) as is_ativo,
        {{ cvdw_timestamp('referencia_data') }} as atualizado_em,
        _dlt_load_id
    from source

),

final as (

    select distinct on (conta, idhistorico) *
    from renamed
    where idhistorico is not null
    order by conta, idhistorico, {{ cvdw_newest_first() }}

)

select * from final
