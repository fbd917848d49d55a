with

source as (

    {{ cvdw_source('corretores') }}

),

renamed as (

    select
        conta,
        idcorretor,
        idimobiliaria,
        {{ cvdw_text('nome') }} as corretor,
        {{ cvdw_text('categoria') }} as categoria,
        {{ cvdw_text('nivel') }} as nivel,
        {{ cvdw_text('creci') }} as creci,
        {{ cvdw_timestamp('data_cad') }} as data_cad,
        coalesce({{ cvdw_bool('ativo') }}, true) as is_ativo,
        {{ cvdw_timestamp('referencia_data') }} as atualizado_em,
        _dlt_load_id
    from source

),

final as (

    select distinct on (conta, idcorretor) *
    from renamed
    where idcorretor is not null
    order by conta, idcorretor, {{ cvdw_newest_first() }}

)

select * from final
