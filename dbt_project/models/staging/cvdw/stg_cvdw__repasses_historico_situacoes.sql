-- One row per situation change of a repasse (`idhistorico`); `data_cad` is when it changed.
with

source as (

    {{ cvdw_source('repasses_historico_situacoes') }}

),

renamed as (

    select
        conta,
        idhistorico,
        idrepasse,
        {{ cvdw_timestamp('data_cad') }} as data_cad,
        de as idsituacao_de,
        para as idsituacao_para,
        {{ cvdw_text('de_nome') }} as de_nome,
        {{ cvdw_text('para_nome') }} as para_nome,
        idcorrespondente,
        {{ cvdw_text('correspondente') }} as correspondente,
        idusuario,
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
