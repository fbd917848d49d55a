with

source as (

    {{ cvdw_source('distratos') }}

),

renamed as (

    select
        conta,
        coalesce(idreserva, {{ cvdw_parse_number('referencia') }}::bigint) as idreserva,
        {{ cvdw_timestamp('data_cad') }} as data_cad,
        {{ cvdw_timestamp('situacao_data') }} as situacao_data,
        {{ cvdw_text('situacao_atual') }} as situacao,
        {{ cvdw_bool('aprovada') }} as is_aprovada,
        idempreendimento,
        idunidade,
        {{ cvdw_text('motivo_distrato') }} as motivo_distrato,
        {{ cvdw_text('descricao_motivo_distrato') }} as descricao_motivo_distrato,
        {{ cvdw_number('valor_contrato') }} as valor_contrato,
        coalesce({{ cvdw_bool('ativo') }}, true) as is_ativo,
        {{ cvdw_timestamp('referencia_data') }} as atualizado_em,
        _dlt_load_id
    from source

),

final as (

    select distinct on (conta, idreserva)
        *,
        -- when the distrato took effect: its situation date, else its registration date
        coalesce(situacao_data, data_cad)::date as data_distrato
    from renamed
    where idreserva is not null
    order by conta, idreserva, {{ cvdw_newest_first() }}

)

select * from final
