{%- set src = source('cvdw', 'distratos') -%}
{%- set cols = cvdw_columns('cvdw', 'distratos') -%}

with

renamed as (

    select
        coalesce(
            {{ cvdw_column(cols, 'idreserva', 'bigint') }},
            {{ cvdw_parse_number(cvdw_column(cols, 'referencia')) }}::bigint
        ) as idreserva,
        {{ cvdw_timestamp(cvdw_column(cols, 'data_cad')) }} as data_cad,
        {{ cvdw_timestamp(cvdw_column(cols, 'situacao_data')) }} as situacao_data,
        {{ cvdw_text(cvdw_column(cols, 'situacao_atual')) }} as situacao,
        {{ cvdw_bool(cvdw_column(cols, 'aprovada')) }} as is_aprovada,
        {{ cvdw_column(cols, 'idempreendimento', 'bigint') }} as idempreendimento,
        {{ cvdw_column(cols, 'idunidade', 'bigint') }} as idunidade,
        {{ cvdw_text(cvdw_column(cols, 'motivo_distrato')) }} as motivo_distrato,
        {{ cvdw_text(cvdw_column(cols, 'descricao_motivo_distrato')) }} as descricao_motivo_distrato,
        {{ cvdw_numeric(cols, 'valor_contrato') }} as valor_contrato,
        coalesce({{ cvdw_bool(cvdw_column(cols, 'ativo')) }}, true) as is_ativo,
        {{ cvdw_timestamp(cvdw_column(cols, 'referencia_data')) }} as atualizado_em,
        {{ cvdw_column(cols, '_dlt_load_id') }} as _dlt_load_id
    from {{ cvdw_from(src, cols) }}

),

final as (

    select distinct on (idreserva)
        *,
        -- when the distrato took effect: its situation date, else its registration date
        coalesce(situacao_data, data_cad)::date as data_distrato
    from renamed
    where idreserva is not null
    order by idreserva, {{ cvdw_newest_first() }}

)

select * from final
